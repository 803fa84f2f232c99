import { StorageWriteError } from '../errors/index.js';
import type { CoordinationJournal } from './coordination-journal.js';
import { COORDINATION_LIMITS as LIMITS, type GateView } from './coordination-types.js';
import { DeadlineTimer } from './deadline-timer.js';
import type { GateStore, GateStoreListener } from './gate-store.js';

/** The full gate, written whole on every change (replay keeps the last one). */
export type GateRecord = { t: 'G'; gate: GateView } | { t: 'D'; gate_id: string };

/** Gates of one sidecar: in memory, durable in the coordination journal, one timer for the next timeout. */
export class EmbeddedGateStore implements GateStore {
  private readonly gates = new Map<string, GateView>();
  private readonly byIssue = new Map<string, Set<string>>();
  private readonly deadlines = new DeadlineTimer((id) => this.listener?.due(id));
  private listener: GateStoreListener | undefined;

  constructor(
    private readonly journal: CoordinationJournal,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  replay(record: GateRecord): void {
    if (record.t === 'D') this.drop(record.gate_id);
    else this.set(record.gate);
  }

  /** Records that rebuild the state: every gate but finished ones past the retention. */
  snapshot(): GateRecord[] {
    const cutoff = Date.now() - LIMITS.finishedGateRetentionMs;
    return [...this.gates.values()]
      .filter((g) => g.state === 'waiting' || Date.parse(g.opened_at ?? g.expired_at ?? g.created_at) >= cutoff)
      .map((gate): GateRecord => ({ t: 'G', gate }));
  }

  start(listener: GateStoreListener): Promise<void> {
    this.listener = listener;
    for (const g of this.gates.values()) if (g.state === 'waiting' && g.expires_at !== null) this.deadlines.schedule(g.gate_id, Date.parse(g.expires_at));
    return Promise.resolve();
  }

  get(gateId: string): Promise<GateView | undefined> {
    const g = this.gates.get(gateId);
    return Promise.resolve(g ? structuredClone(g) : undefined);
  }

  list(issueId?: string): Promise<GateView[]> {
    const ids = issueId !== undefined ? [...(this.byIssue.get(issueId) ?? [])] : [...this.gates.keys()];
    return Promise.resolve(ids.map((id) => structuredClone(this.gates.get(id)!)));
  }

  async put(gate: GateView, expected: GateView | undefined): Promise<boolean> {
    const current = this.gates.get(gate.gate_id);
    if (JSON.stringify(current) !== JSON.stringify(expected)) return false;
    this.set(structuredClone(gate));
    try {
      await this.journal.append({ t: 'G', gate } satisfies GateRecord);
    } catch (err) {
      this.log.warn({ err, gate_id: gate.gate_id }, 'gate not persisted');
      throw new StorageWriteError('The gate could not be stored durably');
    }
    return true;
  }

  delete(gateId: string): Promise<void> {
    this.drop(gateId);
    // Best effort: without it the evicted gate comes back at the next start until compaction drops it.
    this.journal.append({ t: 'D', gate_id: gateId } satisfies GateRecord).catch(() => undefined);
    return Promise.resolve();
  }

  stats(): { gates: number; waiting_gates: number } {
    let waiting = 0;
    for (const g of this.gates.values()) if (g.state === 'waiting') waiting++;
    return { gates: this.gates.size, waiting_gates: waiting };
  }

  close(): Promise<void> {
    this.deadlines.close();
    return Promise.resolve();
  }

  private set(g: GateView): void {
    this.gates.set(g.gate_id, g);
    let ids = this.byIssue.get(g.issue_id);
    if (!ids) this.byIssue.set(g.issue_id, (ids = new Set()));
    ids.add(g.gate_id);
    if (g.state === 'waiting' && g.expires_at !== null) {
      if (this.listener) this.deadlines.schedule(g.gate_id, Date.parse(g.expires_at));
    } else {
      this.deadlines.cancel(g.gate_id);
    }
  }

  private drop(gateId: string): void {
    const gone = this.gates.get(gateId);
    if (!gone) return;
    this.gates.delete(gateId);
    this.byIssue.get(gone.issue_id)?.delete(gateId);
    this.deadlines.cancel(gateId);
  }
}
