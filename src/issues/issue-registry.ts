import type { ComponentLogger } from '../logging/component-logger.js';
import { StorageWriteError, ValidationError } from '../errors/index.js';
import { putIssueBody, ISSUES_DEFAULT_LIMIT, ISSUES_MAX_LIMIT, type PutIssueBody } from '../contract/issues.js';
import { isSafeId } from '../contract/ids.js';
import type { IssueLookup, IssueRecord, IssueRevision } from './issue-record.js';
import type { IssueRepository, IssueRepositoryHealth } from './issue-repository.js';
import { decodeIssueCursor, encodeIssueCursor } from './issue-cursor.js';
import { KeyedQueue } from '../results/keyed-queue.js';

export type IssueChangeAction = 'created' | 'updated' | 'deleted';

/** Emitted after every stored change (not for a PUT that changed nothing). */
export interface IssueChange {
  project_id: string;
  issue_id: string;
  revision: number;
  action: IssueChangeAction;
}

export interface IssuePutOutcome {
  issue: IssueRecord;
  /** 'unchanged': the same text was already stored; no revision was added. */
  action: IssueChangeAction | 'unchanged';
}

export interface IssueListQuery {
  project_id: string;
  label?: string;
  limit?: number;
  cursor?: string;
}

export interface IssuePage {
  issues: IssueRecord[];
  next_cursor: string | null;
}

export interface IssueRegistryOptions {
  /** Clock, injectable for tests. */
  now?: () => number;
  log?: ComponentLogger;
}

/**
 * A writer that loses a compare-and-set (to another sidecar on a shared backend) re-reads and
 * tries again, at most this often; writers in one process queue per issue and never collide.
 */
const MAX_ATTEMPTS = 8;

function requireIds(projectId: string, issueId: string): void {
  const issues = [];
  if (!isSafeId(projectId)) issues.push({ path: 'project_id', message: 'must be a safe id' });
  if (!isSafeId(issueId)) issues.push({ path: 'issue_id', message: 'must be a safe id' });
  if (issues.length) throw new ValidationError('Invalid issue id', issues);
}

type IssueText = Pick<IssueRecord, 'title' | 'description' | 'labels' | 'files' | 'acceptance'>;

function sameText(a: IssueRecord, b: IssueText): boolean {
  return (
    a.title === b.title &&
    a.description === b.description &&
    a.acceptance === b.acceptance &&
    JSON.stringify(a.labels) === JSON.stringify(b.labels) &&
    JSON.stringify(a.files) === JSON.stringify(b.files)
  );
}

/**
 * The issue registry policy (spec §6), the same over every `IssueRepository`: input checks,
 * timestamps, revision numbers (compare-and-set with retries, so concurrent writers on several
 * sidecars never lose an update), paging with opaque cursors, and change notifications. Its
 * `lookup` is the `IssueLookup` the context engine reads issues through.
 *
 * @example
 * const registry = new IssueRegistry(await FileIssueRepository.open({ storagePath }));
 * await registry.put('web', 'ISSUE-1', { title: 'Fix login' }); // { issue: {…, revision: 1}, action: 'created' }
 */
export class IssueRegistry {
  private readonly listeners = new Set<(change: IssueChange) => void>();
  private readonly writes = new KeyedQueue();
  private readonly now: () => number;

  constructor(
    private readonly repository: IssueRepository,
    private readonly options: IssueRegistryOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** For the context engine: the live issue, or null. */
  readonly lookup: IssueLookup = async (projectId, issueId) =>
    isSafeId(projectId) && isSafeId(issueId) ? ((await this.get(projectId, issueId)) ?? null) : null;

  /** The live issue; undefined when unknown or deleted. */
  async get(projectId: string, issueId: string): Promise<IssueRecord | undefined> {
    requireIds(projectId, issueId);
    const head = await this.repository.head(projectId, issueId);
    return head && head.deleted_at === null ? head.record : undefined;
  }

  /**
   * Create or replace the issue's text (absent fields become empty). The same text again adds no
   * revision and announces nothing.
   */
  put(projectId: string, issueId: string, input: PutIssueBody): Promise<IssuePutOutcome> {
    return this.write(projectId, issueId, input, false);
  }

  /** Create the issue only when it does not exist (a deleted one counts as absent); never overwrites. */
  createIfAbsent(projectId: string, issueId: string, input: PutIssueBody): Promise<IssuePutOutcome> {
    return this.write(projectId, issueId, input, true);
  }

  /** Delete the issue (a deletion revision; history stays); undefined when there is nothing to delete. */
  async delete(projectId: string, issueId: string): Promise<IssueRevision | undefined> {
    requireIds(projectId, issueId);
    return this.writes.run(`${projectId}/${issueId}`, () => this.deleteOnce(projectId, issueId));
  }

  private async deleteOnce(projectId: string, issueId: string): Promise<IssueRevision | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const head = await this.repository.head(projectId, issueId);
      if (!head || head.deleted_at !== null) return undefined;
      const deletedAt = this.timestamp(head.record.updated_at);
      const record: IssueRecord = { ...head.record, updated_at: deletedAt, revision: head.record.revision + 1 };
      if (await this.repository.delete(record, deletedAt)) {
        this.emit({ project_id: projectId, issue_id: issueId, revision: record.revision, action: 'deleted' });
        return { record, deleted_at: deletedAt };
      }
    }
    throw new StorageWriteError('The issue changed concurrently too often; not deleted');
  }

  async list(query: IssueListQuery): Promise<IssuePage> {
    const limit = query.limit ?? ISSUES_DEFAULT_LIMIT;
    const issues = [];
    if (!isSafeId(query.project_id)) issues.push({ path: 'project_id', message: 'must be a safe id' });
    if (!Number.isInteger(limit) || limit < 1 || limit > ISSUES_MAX_LIMIT)
      issues.push({ path: 'limit', message: `must be an integer from 1 to ${ISSUES_MAX_LIMIT}` });
    const after = query.cursor === undefined ? undefined : decodeIssueCursor(query.cursor);
    if (query.cursor !== undefined && after === undefined) issues.push({ path: 'cursor', message: 'not a cursor returned by this API' });
    if (issues.length) throw new ValidationError('Invalid issue query', issues);
    const found = await this.repository.listPage(
      {
        project_id: query.project_id,
        ...(query.label !== undefined ? { label: query.label } : {}),
        ...(after !== undefined ? { after } : {}),
      },
      limit,
    );
    const last = found.issues.at(-1);
    return { issues: found.issues, next_cursor: found.more && last ? encodeIssueCursor(last.issue_id) : null };
  }

  /** Every revision, oldest first (deletions included); [] when the issue never existed. */
  history(projectId: string, issueId: string): Promise<IssueRevision[]> {
    requireIds(projectId, issueId);
    return this.repository.history(projectId, issueId);
  }

  /** Subscribe to stored changes; returns the unsubscribe function. */
  onChanged(listener: (change: IssueChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health(): IssueRepositoryHealth {
    return this.repository.health();
  }

  async close(): Promise<void> {
    await this.writes.drain();
    this.listeners.clear();
    await this.repository.close();
  }

  private async write(projectId: string, issueId: string, input: PutIssueBody, onlyIfAbsent: boolean): Promise<IssuePutOutcome> {
    requireIds(projectId, issueId);
    const parsed = putIssueBody.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(
        'Invalid issue',
        parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      );
    }
    const v = parsed.data;
    const text = {
      title: v.title,
      description: v.description ?? '',
      // Order is kept (the author's emphasis); repeats carry nothing.
      labels: [...new Set(v.labels ?? [])],
      files: [...new Set(v.files ?? [])],
      acceptance: v.acceptance ?? null,
    };
    return this.writes.run(`${projectId}/${issueId}`, () => this.writeOnce(projectId, issueId, text, onlyIfAbsent));
  }

  private async writeOnce(projectId: string, issueId: string, text: IssueText, onlyIfAbsent: boolean): Promise<IssuePutOutcome> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const head = await this.repository.head(projectId, issueId);
      const live = head && head.deleted_at === null ? head.record : undefined;
      if (live && (onlyIfAbsent || sameText(live, text))) return { issue: live, action: 'unchanged' };
      const at = this.timestamp(head?.record.updated_at);
      const record: IssueRecord = {
        issue_id: issueId,
        project_id: projectId,
        ...text,
        created_at: live ? live.created_at : at,
        updated_at: at,
        revision: (head?.record.revision ?? 0) + 1,
      };
      if (await this.repository.put(record)) {
        const action = live ? 'updated' : 'created';
        this.emit({ project_id: projectId, issue_id: issueId, revision: record.revision, action });
        return { issue: record, action };
      }
    }
    throw new StorageWriteError('The issue changed concurrently too often; not stored');
  }

  /** Now, but never before the previous revision's time, so `updated_at` never goes backwards. */
  private timestamp(previous: string | undefined): string {
    const now = this.now();
    const floor = previous === undefined ? 0 : Date.parse(previous);
    return new Date(Math.max(now, floor)).toISOString();
  }

  private emit(change: IssueChange): void {
    for (const listener of this.listeners) {
      // The change is durable already: a failing listener must not turn it into an error.
      try {
        listener(change);
      } catch (err) {
        this.options.log?.warn({ err, issue_id: change.issue_id }, 'issue change listener failed');
      }
    }
  }
}
