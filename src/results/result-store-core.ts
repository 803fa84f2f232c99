import { StorageWriteError, ValidationError } from '../errors/index.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { issuesOf, isoDateTime, storeInputSchema, type StoredEnvelope } from './envelope-schema.js';
import { summarizeResult } from './previous-outputs.js';
import { ResultIdGenerator, resultIdTime } from './result-id.js';
import { DEFAULT_LIMIT, MAX_LIMIT, decodeCursor, encodeCursor } from './result-cursor.js';
import type { ResultRepository } from './result-repository.js';
import type {
  PreviousAgentOutput,
  ResultEnvelope,
  ResultPage,
  ResultQuery,
  ResultStore,
  ResultStoreHealth,
  ResultStoreStats,
  StoreResultInput,
} from './result-store.js';

export interface ResultStoreCoreOptions {
  /** Results older than this (by `stored_at`) are removed. */
  retentionDays: number;
  /** How often to sweep; default a tenth of the retention, between 1 s and 1 h; 0 = never by timer. */
  sweepIntervalMs?: number;
  /** Clock, injectable for retention tests. */
  now?: () => number;
  log?: ComponentLogger;
}

/**
 * The result store policy, the same over every `ResultRepository`: input checks, ids and
 * `stored_at`, query limits, newest-first paging with opaque cursors, the shape of previous
 * outputs, and retention.
 *
 * @example
 * const store = new ResultStoreCore(await FileResultRepository.open({ storagePath }), { retentionDays: 30 });
 */
export class ResultStoreCore implements ResultStore {
  private readonly ids = new ResultIdGenerator();
  private readonly now: () => number;
  private readonly retentionMs: number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  private closed = false;

  constructor(
    protected readonly repository: ResultRepository,
    private readonly options: ResultStoreCoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.retentionMs = options.retentionDays * 86_400_000;
    const newest = repository.newestId();
    if (newest !== undefined) this.ids.seed(newest);
  }

  /** Remove what expired while the store was closed, then keep sweeping on a timer. */
  async start(): Promise<number> {
    const removed = await this.sweepExpired();
    const interval = this.options.sweepIntervalMs ?? Math.min(3_600_000, Math.max(1_000, this.retentionMs / 10));
    if (interval > 0) {
      this.timer = setInterval(() => {
        this.sweepExpired().catch((err: unknown) => this.options.log?.error({ err }, 'result retention sweep failed'));
      }, interval);
      this.timer.unref();
    }
    return removed;
  }

  async store(input: StoreResultInput): Promise<ResultEnvelope> {
    const parsed = storeInputSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError('Invalid result', issuesOf(parsed.error));
    if (this.closed) throw new StorageWriteError('Result store is closed');
    const v = parsed.data;
    const id = this.ids.generate(this.now());
    // stored_at is the id's own time, so retention (by id) and the visible field never disagree.
    const storedAt = new Date(resultIdTime(id)).toISOString();
    const envelope: StoredEnvelope = {
      id,
      agent_id: v.agent_id,
      agent_type: v.agent_type,
      issue_id: v.issue_id,
      project_id: v.project_id,
      result: v.result,
      timestamp: v.timestamp ? new Date(v.timestamp).toISOString() : storedAt,
      stored_at: storedAt,
    };
    return this.repository.insert(envelope);
  }

  get(id: string): Promise<ResultEnvelope | undefined> {
    return this.repository.get(id);
  }

  async query(q: ResultQuery): Promise<ResultPage> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const issues: Array<{ path: string; message: string }> = [];
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) issues.push({ path: 'limit', message: `must be an integer from 1 to ${MAX_LIMIT}` });
    const time = (field: 'since' | 'until'): number | undefined => {
      const value = q[field];
      if (value === undefined) return undefined;
      if (!isoDateTime.safeParse(value).success) {
        issues.push({ path: field, message: 'must be an ISO 8601 date-time' });
        return undefined;
      }
      return Date.parse(value);
    };
    const sinceMs = time('since');
    const untilMs = time('until');
    let beforeId: string | undefined;
    if (q.cursor !== undefined) {
      beforeId = decodeCursor(q.cursor);
      if (beforeId === undefined) issues.push({ path: 'cursor', message: 'not a cursor returned by this API' });
    }
    if (issues.length) throw new ValidationError('Invalid result query', issues);

    const found = await this.repository.find(
      {
        project_id: q.project_id,
        issue_id: q.issue_id,
        agent_type: q.agent_type,
        status: q.status,
        since_ms: sinceMs,
        until_ms: untilMs,
        latest: q.latest,
        before_id: beforeId,
      },
      limit,
    );
    return {
      results: found.results,
      // A result can expire between the walk and the read; the cursor still moves past it.
      next_cursor: found.more && found.lastId !== undefined ? encodeCursor(found.lastId) : null,
    };
  }

  async previousOutputs(projectId: string, issueId: string): Promise<PreviousAgentOutput[]> {
    const envelopes = await this.repository.latestOfIssue(projectId, issueId);
    return envelopes.map(summarizeResult).sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.result_id.localeCompare(b.result_id));
  }

  sweepExpired(): Promise<number> {
    // One sweep at a time; a timer tick during a long sweep joins it instead of racing it.
    this.sweeping ??= this.repository.deleteStoredBefore(this.now() - this.retentionMs).finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  stats(): ResultStoreStats {
    return this.repository.stats();
  }

  health(): ResultStoreHealth {
    return this.closed ? 'down' : this.repository.health();
  }

  healthReason(): string | undefined {
    if (this.closed) return 'result store closed';
    return this.repository.healthReason?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
    await this.repository.close();
  }
}
