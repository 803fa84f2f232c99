import { ForbiddenError, NotFoundError, ValidationError } from '../errors/index.js';
import { hasPermission } from '../auth/permissions.js';
import type { EventBus } from '../events/event-bus.js';
import type { IssueChangeAction, IssuePage, IssueRegistry } from '../issues/issue-registry.js';
import type { IssueRecord } from '../issues/issue-record.js';
import { issueEvent } from '../issues/issue-events.js';
import type { DeleteIssueResponse, IssueHistoryBody, ListIssuesQuery, PutIssueBody } from '../contract/issues.js';
import { MAX_ISSUE_TEXT_BYTES, MAX_TITLE_CHARS } from '../contract/issues.js';
import type { AuditSink } from '../audit/audit-log.js';
import type { Caller } from './caller.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { requireIssueScope, requirePermission, requireProjectScope } from './access.js';

export { ISSUE_EVENT_TOPIC } from '../issues/issue-events.js';

export interface IssuesServiceDeps {
  issues: IssueRegistry;
  bus: EventBus;
  /** The project this sidecar serves: its issues are the only ones it keeps. */
  projectId: string;
  logger: ComponentLogger;
  /** Records the issue a spawn creates (the spawn request itself is audited by the HTTP door). */
  audit: AuditSink;
}

export interface PutIssueAnswer {
  /** 201 when the issue was created, 200 when it existed (updated or unchanged). */
  status: 201 | 200;
  issue: IssueRecord;
}

/**
 * The title of an issue created from a spawn's task: its first non-blank line, cut to fit the
 * 300-character title (counted in UTF-16 units, as the schema counts, never splitting a pair).
 */
export function titleOfTask(task: string): string {
  const printable =
    task
      .split(/\r?\n/)
      .map((l) => l.replace(/[\u0000-\u001f\u007f]/g, ' ').trim())
      .find((l) => l.length > 0) ?? 'Task';
  if (printable.length <= MAX_TITLE_CHARS) return printable;
  let cut = '';
  for (const ch of printable) {
    if (cut.length + ch.length > MAX_TITLE_CHARS - 1) break;
    cut += ch;
  }
  return `${cut}…`;
}

/**
 * The issue use cases (spec §6) with the scoping of spec §2: writing needs `manage_issues`,
 * reading `read_context` (or `read_project_context`); a token acts in its project only and, when
 * issue-scoped, on its issue only. Every stored change publishes `issue_updated` on topic
 * `coordination`.
 *
 * @example
 * const { status, issue } = await issues.put(caller, 'ISSUE-1', { title: 'Fix login', labels: ['auth'] });
 */
export class IssuesService {
  constructor(private readonly deps: IssuesServiceDeps) {}

  async put(caller: Caller, issueId: string, body: PutIssueBody): Promise<PutIssueAnswer> {
    this.requireWrite(caller, issueId);
    const outcome = await this.deps.issues.put(this.deps.projectId, issueId, body);
    if (outcome.action !== 'unchanged') await this.announce(caller.sub, outcome.issue, outcome.action);
    return { status: outcome.action === 'created' ? 201 : 200, issue: outcome.issue };
  }

  async get(caller: Caller, issueId: string): Promise<IssueRecord> {
    this.requireRead(caller, issueId);
    const issue = await this.deps.issues.get(this.deps.projectId, issueId);
    if (!issue) throw new NotFoundError('No issue with that id', { issue_id: issueId });
    return issue;
  }

  /** In issue id order; an issue-scoped token sees its own issue only, whether or not it asks. */
  async list(caller: Caller, query: ListIssuesQuery): Promise<IssuePage> {
    this.requireRead(caller, undefined);
    if (caller.issue_id !== undefined) {
      const own = await this.deps.issues.get(this.deps.projectId, caller.issue_id);
      const visible = own && (query.label === undefined || own.labels.includes(query.label)) && query.cursor === undefined;
      return { issues: visible ? [own] : [], next_cursor: null };
    }
    return this.deps.issues.list({
      project_id: this.deps.projectId,
      ...(query.label !== undefined ? { label: query.label } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
    });
  }

  /** Every revision, oldest first; 404 when the issue never existed. */
  async history(caller: Caller, issueId: string): Promise<IssueHistoryBody> {
    this.requireRead(caller, issueId);
    const revisions = await this.deps.issues.history(this.deps.projectId, issueId);
    if (revisions.length === 0) throw new NotFoundError('No issue with that id', { issue_id: issueId });
    return { issue_id: issueId, project_id: this.deps.projectId, revisions: revisions.map((r) => ({ ...r.record, deleted_at: r.deleted_at })) };
  }

  async delete(caller: Caller, issueId: string): Promise<DeleteIssueResponse> {
    this.requireWrite(caller, issueId);
    const deleted = await this.deps.issues.delete(this.deps.projectId, issueId);
    if (!deleted) throw new NotFoundError('No issue with that id', { issue_id: issueId });
    await this.announce(caller.sub, deleted.record, 'deleted');
    return { issue_id: issueId, project_id: this.deps.projectId, deleted: true, revision: deleted.record.revision, deleted_at: deleted.deleted_at! };
  }

  /**
   * What `POST /api/agents/spawn` does with its task (spec §6): create the issue when it does not
   * exist (title: the task's first line, description: the task), never overwrite one. The spawn
   * permission is what allows it, not `manage_issues`. Returns whether it created the issue.
   */
  async createFromTask(caller: Caller, issueId: string, task: string): Promise<boolean> {
    requireProjectScope(caller, this.deps.projectId);
    requireIssueScope(caller, issueId);
    if (await this.deps.issues.get(this.deps.projectId, issueId)) return false;
    if (Buffer.byteLength(task) > MAX_ISSUE_TEXT_BYTES) {
      // The spawn schema allows exactly 64 KiB; an issue description is refused from 64 KiB on, never cut.
      throw new ValidationError(
        'The task is 64 KiB or more: it cannot become the description of the new issue; register the issue first (PUT /api/issues/:issue_id)',
        [{ path: 'body.task', message: `must be shorter than 64 KiB to create the issue (at most ${MAX_ISSUE_TEXT_BYTES} UTF-8 bytes)` }],
      );
    }
    // Created only if still absent: a concurrent PUT between the check and here is never overwritten.
    const outcome = await this.deps.issues.createIfAbsent(this.deps.projectId, issueId, { title: titleOfTask(task), description: task });
    if (outcome.action === 'unchanged') return false;
    // A side effect no issue route saw: its own audit line, so every issue change is on record.
    await this.deps.audit
      .record(
        {
          action: 'issue.created_by_spawn',
          resource: `issue:${issueId}`,
          outcome: 'success',
          sub: caller.sub,
          jti: caller.jti,
          agent_type: caller.agent_type,
          project_id: this.deps.projectId,
          details: { revision: outcome.issue.revision },
        },
        { deferred: true },
      )
      .catch((err: unknown) => this.deps.logger.error({ err, issue_id: issueId }, 'audit log write failed (issue created by spawn)'));
    await this.announce(caller.sub, outcome.issue, outcome.action);
    return true;
  }

  private requireWrite(caller: Caller, issueId: string): void {
    requirePermission(caller, 'manage_issues');
    requireProjectScope(caller, this.deps.projectId);
    requireIssueScope(caller, issueId);
  }

  private requireRead(caller: Caller, issueId: string | undefined): void {
    if (!hasPermission(caller.permissions, 'read_context') && !hasPermission(caller.permissions, 'read_project_context')) {
      throw new ForbiddenError("Missing permission 'read_context'", { required: 'read_context' });
    }
    requireProjectScope(caller, this.deps.projectId);
    if (issueId !== undefined) requireIssueScope(caller, issueId);
  }

  /** The change is durable before this runs: a bus failure is logged, never an error. */
  private async announce(publisher: string, issue: IssueRecord, action: IssueChangeAction): Promise<void> {
    try {
      await this.deps.bus.publish(issueEvent(issue, action, publisher));
    } catch (err) {
      this.deps.logger.warn({ err, issue_id: issue.issue_id }, 'issue stored but issue_updated was not published');
    }
  }
}
