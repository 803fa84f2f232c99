import type { StoredEnvelope } from './envelope-schema.js';
import type { ResultEnvelope, ResultStatus, ResultStoreHealth, ResultStoreStats } from './result-store.js';

/** Which results `find` returns; every given field must match. */
export interface ResultFilter {
  project_id?: string;
  issue_id?: string;
  agent_type?: string;
  status?: ResultStatus;
  /** Inclusive, compared with the envelope's `timestamp` in ms. */
  since_ms?: number;
  /** Exclusive, as `since_ms`. */
  until_ms?: number;
  /** Only the newest result of each (project, issue, agent type). */
  latest?: boolean;
  /** Only ids strictly below this one (the cursor of newest-first paging). */
  before_id?: string;
}

export interface FoundResults {
  /** Newest id first. */
  results: ResultEnvelope[];
  /** More results match after the last one walked. */
  more: boolean;
  /**
   * The id of the last result walked: the page continues below it, also when that result was
   * removed (retention) between the walk and the read and is therefore missing from `results`.
   */
  lastId: string | undefined;
}

/**
 * The storage primitive under the result store (the rate limiter's pattern: the policy is shared
 * in `ResultStoreCore`, a small store is injected). The file tree + in-memory index implements it
 * today; a PostgreSQL table (`ORDER BY id DESC`, a partial index for the latest of each pair) is
 * meant to implement it next.
 *
 * Ids are ULIDs minted by the core in increasing order; for one (project, issue, agent type) the
 * repository must complete `insert` calls in call order, so the newest id of a pair is its latest.
 */
export interface ResultRepository {
  /** The greatest id held, so the core keeps minting larger ones after a restart. */
  newestId(): string | undefined;
  /** Store a new envelope durably; resolves to it as `get` answers it (`storage_path` filled in). */
  insert(envelope: StoredEnvelope): Promise<ResultEnvelope>;
  get(id: string): Promise<ResultEnvelope | undefined>;
  /** Up to `limit` matching results, newest id first. */
  find(filter: ResultFilter, limit: number): Promise<FoundResults>;
  /** The newest result of each agent type on the issue, in no particular order. */
  latestOfIssue(projectId: string, issueId: string): Promise<ResultEnvelope[]>;
  /** Remove every result stored before `cutoffMs`; resolves to how many were removed. */
  deleteStoredBefore(cutoffMs: number): Promise<number>;
  stats(): ResultStoreStats;
  /** Cheap and synchronous: `/health` calls it on every probe. */
  health(): ResultStoreHealth;
  /** Wait for pending writes. Idempotent. */
  close(): Promise<void>;
}
