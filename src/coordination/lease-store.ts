import type { Lease } from './lease-records.js';

/** A grant the core has validated: paths normalised and resolved, limits known. */
export interface GrantRequest {
  id: string;
  paths: string[];
  holder: string;
  agentType: string;
  issueId: string | null;
  at: number;
  exp: number;
  reason: string | null;
  /** Refuse (limit) instead of granting when the project or the holder holds this many. */
  maxLeases: number;
  maxLeasesPerHolder: number;
  /** Conflicts reported per request at most. */
  maxConflicts: number;
}

/** A live lease of another holder overlapping a requested path. */
export interface StoredConflict {
  /** The requested path. */
  path: string;
  /** The leased path (the same, an ancestor or a descendant). */
  leasedPath: string;
  lease: Lease;
}

export type GrantOutcome =
  { ok: true; lease: Lease } | { ok: false; reason: 'conflict'; conflicts: StoredConflict[] } | { ok: false; reason: 'max_leases' | 'max_holder_leases' };

/** What a store tells the core about changes it did not ask for. */
export interface LeaseStoreListener {
  /** A lease ran out (removed by this store; reported once across every node sharing it). */
  expired(lease: Lease): void;
  /** Paths were freed by an expiry or on another node: queued requests may retry (the core retries after its own releases). */
  freed(): void;
}

/**
 * Where live leases are kept. The embedded store (path trie + journal) serves one sidecar; the
 * Redis store serves every sidecar of a cluster. A store owns the atomic part: the conflict
 * check (path, ancestors, descendants) and the fencing counter happen together in `grant`, and a
 * lease is removed by exactly one caller (`remove` answers it once), so its event goes out once.
 * Queueing, permissions, validation and events live in the backend-neutral LeaseService.
 */
export interface LeaseStore {
  /** Start expiry and change notifications; called once before any request. */
  start(listener: LeaseStoreListener): Promise<void>;
  grant(req: GrantRequest): Promise<GrantOutcome>;
  /** New expiry for a live lease; undefined when it is gone. */
  renew(id: string, exp: number): Promise<Lease | undefined>;
  /** Remove a lease; the removed lease to exactly one caller, undefined to the others. */
  remove(id: string, why: string): Promise<Lease | undefined>;
  /** A lease, also one that expired and has not been swept yet (the core checks `exp`). */
  get(id: string): Promise<Lease | undefined>;
  /** Every stored lease, or those of one holder. */
  list(holder?: string): Promise<Lease[]>;
  /** Live leases (exp > now) on the path, its ancestors or below it, not held by `exceptHolder`. */
  overlapping(path: string, now: number, exceptHolder: string | undefined, limit: number): Promise<Array<{ leasedPath: string; lease: Lease }>>;
  /** Cheap hint for the context annotation: false when surely no lease is stored. */
  mayHoldAny(): boolean;
  stats(): { live_leases: number; fencing_token: number };
  close(): Promise<void>;
}
