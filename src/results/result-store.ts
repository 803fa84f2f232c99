/**
 * The result store contract, independent of the backend. One implementation of the policy
 * exists, `ResultStoreCore`, over a `ResultRepository` (the file tree now, PostgreSQL later).
 * Routes, the CLI and the context engine only see this interface. A stored result is announced
 * on the event bus (`result-events.ts`), not by the store.
 */

export const RESULT_STATUSES = ['success', 'failed', 'partial'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/** What an agent reports: a status plus free-form fields (files_created, decisions, …). */
export interface ResultPayload {
  status: ResultStatus;
  [field: string]: unknown;
}

/** One stored result, exactly as `GET /api/results/:id` returns it. */
export interface ResultEnvelope {
  /** Result id: a ULID, so ids sort by the time they were stored. */
  id: string;
  agent_id: string;
  agent_type: string;
  issue_id: string;
  project_id: string;
  result: ResultPayload;
  /** When the agent says it produced the result (ISO 8601, UTC); defaults to `stored_at`. */
  timestamp: string;
  /** When the sidecar stored it (ISO 8601, UTC). Retention counts from here. */
  stored_at: string;
  /** Where the envelope lives now: the pair's latest file, or its history file once superseded. */
  storage_path: string;
}

export interface StoreResultInput {
  agent_id: string;
  agent_type: string;
  issue_id: string;
  project_id: string;
  result: ResultPayload;
  /** ISO 8601; normalised to UTC. */
  timestamp?: string;
}

/**
 * Filters for `query`. All given filters must match. `since` is inclusive and `until` exclusive,
 * both compared with the envelope's `timestamp`. Results come newest stored first.
 */
export interface ResultQuery {
  project_id?: string;
  issue_id?: string;
  agent_type?: string;
  status?: ResultStatus;
  since?: string;
  until?: string;
  /** Only the newest result of each (project, issue, agent type). */
  latest?: boolean;
  /** Default 50, at most 1000. */
  limit?: number;
  /** Opaque `next_cursor` of the previous page. */
  cursor?: string;
}

export interface ResultPage {
  results: ResultEnvelope[];
  /** Pass as `cursor` for the next page; null when there is none. */
  next_cursor: string | null;
}

/** An earlier agent's outcome, shaped for the context engine (`previous_agent_outputs`). */
export interface PreviousAgentOutput {
  agent: string;
  agent_type: string;
  timestamp: string;
  status: ResultStatus;
  decision: string | null;
  rationale: string | null;
  files_affected: string[];
  result_id: string;
}

export interface QuarantinedFile {
  /** Path relative to `<storage>/results`. */
  path: string;
  reason: string;
  /** Path relative to `<storage>/results` where the file was moved. */
  moved_to: string;
}

export interface ResultStoreStats {
  results_stored: number;
  total_size_bytes: number;
  total_size_mb: number;
  /** Files moved to quarantine since the store was opened (start-up scan included). */
  quarantined: number;
  /** Results removed by retention since the store was opened. */
  expired_removed: number;
}

/** Same scale as the other components of `/health`: `degraded` after a failed write until the next success. */
export type ResultStoreHealth = 'ok' | 'degraded' | 'down';

/** Envelopes returned by a store may be shared with its cache: treat them as read-only. */
export interface ResultStore {
  /** Store a result durably; the returned envelope is what GET answers for it. */
  store(input: StoreResultInput): Promise<ResultEnvelope>;
  /** One result by id; undefined when unknown (or removed by retention). */
  get(id: string): Promise<ResultEnvelope | undefined>;
  query(query: ResultQuery): Promise<ResultPage>;
  /** The newest result of each agent type on the issue, oldest first. */
  previousOutputs(projectId: string, issueId: string): Promise<PreviousAgentOutput[]>;
  /** Remove results older than the retention period; returns how many were removed. */
  sweepExpired(): Promise<number>;
  stats(): ResultStoreStats;
  /** Cheap and synchronous: `/health` calls it on every probe. */
  health(): ResultStoreHealth;
  /** Wait for pending writes, stop timers. Idempotent. */
  close(): Promise<void>;
}
