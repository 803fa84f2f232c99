import type { GateView } from './coordination-types.js';

/** What a store tells the gate service about changes. */
export interface GateStoreListener {
  /** A gate was written (here or on another node): its waiters re-read it. */
  changed(gateId: string): void;
  /** A waiting gate's timeout passed: the service expires it (one node wins the write). */
  due(gateId: string): void;
}

/**
 * Where gates are kept: in the journal of one sidecar, or on Redis for every sidecar of a
 * cluster. Writes are compare-and-set on the whole gate, so when several nodes see the same
 * stored result only one of them opens the gate (and publishes `gate_opened`). Gates handed out
 * are copies: the service changes its own and writes them back.
 */
export interface GateStore {
  start(listener: GateStoreListener): Promise<void>;
  get(gateId: string): Promise<GateView | undefined>;
  /** Every gate, or those of one issue. */
  list(issueId?: string): Promise<GateView[]>;
  /** Store `gate` if the stored one is still `expected` (undefined: none stored); false when another write came first. */
  put(gate: GateView, expected: GateView | undefined): Promise<boolean>;
  /** Drop a gate (room for a newer one on its issue); best effort. */
  delete(gateId: string): Promise<void>;
  stats(): { gates: number; waiting_gates: number };
  close(): Promise<void>;
}
