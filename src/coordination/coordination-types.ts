/**
 * Shapes shared by the lease and gate services, the routes and the MCP tools. Wire objects use
 * the contract's snake_case names (spec §8) so callers answer them as they are.
 */

/** Who is calling: the verified token's claims, as a plain object (HTTP route or MCP tool). */
export interface CoordinationCaller {
  sub: string;
  agent_type: string;
  project_id: string;
  /** Token limited to one issue. */
  issue_id?: string | undefined;
  permissions: ReadonlySet<string> | readonly string[];
}

/** Publishes an event as the sidecar itself (topic `coordination`); must not throw synchronously. */
export type CoordinationPublish = (event: { event_type: string; topic: string; data: Record<string, unknown> }) => Promise<unknown>;

/** One lease as the API answers it. */
export interface LeaseView {
  lease_id: string;
  paths: string[];
  holder: string;
  agent_type: string;
  issue_id: string | null;
  fencing_token: number;
  acquired_at: string;
  expires_at: string;
  reason: string | null;
}

/** One entry of `details.conflicts` (409 LSE_001). */
export interface LeaseConflict {
  /** The requested path that conflicts. */
  path: string;
  /** The path the other holder leased (the same, an ancestor or a descendant). */
  leased_path: string;
  lease_id: string;
  holder: string;
  expires_at: string;
}

/** `relevant_files[].leased_by` of a context answer. */
export interface LeasedBy {
  lease_id: string;
  holder: string;
  agent_type: string;
  path: string;
  fencing_token: number;
  expires_at: string;
}

export interface AcquireInput {
  paths: string[];
  ttl_seconds?: number | undefined;
  reason?: string | undefined;
  wait_ms?: number | undefined;
}

export interface LeaseListFilter {
  path?: string | undefined;
  holder?: string | undefined;
  issue_id?: string | undefined;
}

export type GateState = 'waiting' | 'open' | 'expired';
export type ExpectedStatus = 'success' | 'failed' | 'partial';

export interface GateExpectation {
  agent_type: string;
  status: ExpectedStatus;
}

/** An expectation met by a stored result. */
export interface GateSatisfaction extends GateExpectation {
  result_id: string;
  agent_id: string;
}

export interface GateView {
  gate_id: string;
  issue_id: string;
  state: GateState;
  expect: GateExpectation[];
  satisfied: GateSatisfaction[];
  pending: GateExpectation[];
  created_by: string;
  created_at: string;
  timeout_seconds: number | null;
  expires_at: string | null;
  opened_at: string | null;
  expired_at: string | null;
}

export interface CreateGateInput {
  gate_id?: string | undefined;
  issue_id: string;
  expect: Array<{ agent_type: string; status?: ExpectedStatus | undefined }>;
  timeout_seconds?: number | undefined;
}

/** Limits a team lead would expect; every one answers with the contract's JSON when hit. */
export const COORDINATION_LIMITS = {
  maxLeases: 100_000,
  maxLeasesPerHolder: 1_000,
  maxWaiters: 10_000,
  maxWaitersPerHolder: 64,
  /** `details.conflicts` is cut at this many entries. */
  maxConflictsReported: 50,
  maxGatesPerIssue: 100,
  maxWaitingGates: 10_000,
  maxGateWaits: 10_000,
  maxGateWaitsPerCaller: 256,
  defaultGateWaitMs: 30_000,
  maxGateWaitMs: 300_000,
  /** Finished gates are kept this long for reads, then dropped at the next compaction. */
  finishedGateRetentionMs: 7 * 24 * 3_600_000,
} as const;

export function hasPerm(perms: CoordinationCaller['permissions'], wanted: string): boolean {
  const has = (p: string): boolean => (perms instanceof Set ? perms.has(p) : (perms as readonly string[]).includes(p));
  return has('admin') || has(wanted);
}
