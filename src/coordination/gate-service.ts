import { ForbiddenError, NotFoundError, RateLimitError, StorageWriteError, ValidationError } from '../errors/index.js';
import { DeadlineTimer } from './deadline-timer.js';
import type { CoordinationJournal } from './coordination-journal.js';
import {
  COORDINATION_LIMITS as LIMITS, hasPerm,
  type CoordinationCaller, type CoordinationPublish, type CreateGateInput, type ExpectedStatus, type GateExpectation, type GateView,
} from './coordination-types.js';
import { randomBytes } from 'node:crypto';

/** The full gate, written whole on every change (replay keeps the last one). */
export type GateRecord = { t: 'G'; gate: GateView } | { t: 'D'; gate_id: string };

/** What a gate needs from the result store: results stored for an issue, also earlier ones. */
export interface GateResultSource {
  /** The newest stored result of that agent type with that status on the issue, if any. */
  find(projectId: string, issueId: string, agentType: string, status: ExpectedStatus): Promise<{ id: string; agent_id: string } | undefined>;
}

/** A result was stored (the result store's `onStored`). */
export interface StoredResultNotice {
  project_id: string;
  issue_id: string;
  agent_type: string;
  agent_id: string;
  id: string;
  status: string;
}

export interface GateServiceDeps {
  projectId: string;
  journal: CoordinationJournal;
  results: GateResultSource;
  publish: CoordinationPublish;
  log: { warn(obj: object, msg: string): void };
}

interface Waiter {
  caller: string;
  resolve: (v: GateView & { timeout?: true }) => void;
  timer: NodeJS.Timeout;
}

const TOPIC = 'coordination';

function key(e: GateExpectation): string {
  return `${e.agent_type}\u0000${e.status}`;
}

/**
 * Gates (spec §8): "continue when every expected agent has delivered". A gate opens when a result
 * of every expected agent type with the expected status is stored for its issue, results stored
 * before the gate was created included; a failure does not satisfy a `success` expectation, and
 * an open gate stays open whatever is stored later. Without every result by `timeout_seconds` it
 * expires. `gate_opened` / `gate_expired` are published; waits answer at once when the gate is
 * decided. Gates are durable (journal) and bounded per issue.
 *
 * @example
 * const gate = await gates.create(caller, { issue_id: 'ISSUE-7', expect: [{ agent_type: 'test-engineer' }] });
 * const decided = await gates.wait(caller, gate.gate_id, 60_000);
 */
export class GateService {
  private readonly gates = new Map<string, GateView>();
  private readonly byIssue = new Map<string, Set<string>>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly waitsByCaller = new Map<string, number>();
  private waitCount = 0;
  private readonly deadlines = new DeadlineTimer((id) => void this.expire(id).catch(() => undefined));
  private eventChain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: GateServiceDeps) {}

  replay(record: GateRecord): void {
    if (record.t === 'D') {
      const gone = this.gates.get(record.gate_id);
      if (gone) {
        this.gates.delete(gone.gate_id);
        this.byIssue.get(gone.issue_id)?.delete(gone.gate_id);
      }
      return;
    }
    const g = record.gate;
    if (!this.gates.has(g.gate_id)) this.index(g);
    this.gates.set(g.gate_id, g);
  }

  /** After replay: re-check waiting gates against the stored results and expire the overdue ones. */
  async reconcile(): Promise<void> {
    for (const g of [...this.gates.values()]) {
      if (g.state !== 'waiting') continue;
      await this.fillFromStore(g);
      if (g.pending.length === 0) await this.open(g);
      else if (g.expires_at !== null) this.deadlines.schedule(g.gate_id, Date.parse(g.expires_at));
    }
    this.deadlines.runDue();
  }

  /** Records that rebuild the state: every gate but finished ones past the retention. */
  snapshot(): GateRecord[] {
    const cutoff = Date.now() - LIMITS.finishedGateRetentionMs;
    return [...this.gates.values()]
      .filter((g) => g.state === 'waiting' || Date.parse(g.opened_at ?? g.expired_at ?? g.created_at) >= cutoff)
      .map((gate): GateRecord => ({ t: 'G', gate }));
  }

  stats(): { gates: number; waiting_gates: number; gate_waits: number } {
    let waiting = 0;
    for (const g of this.gates.values()) if (g.state === 'waiting') waiting++;
    return { gates: this.gates.size, waiting_gates: waiting, gate_waits: this.waitCount };
  }

  async create(caller: CoordinationCaller, input: CreateGateInput): Promise<{ gate: GateView; created: boolean }> {
    this.requireScope(caller, input.issue_id);
    const expect = dedupe(input.expect.map((e) => ({ agent_type: e.agent_type, status: e.status ?? 'success' })));
    const gateId = input.gate_id ?? `gate_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
    const existing = this.gates.get(gateId);
    if (existing) {
      // Creating the same gate again (a retried request) answers the gate; another definition is refused.
      const same = existing.issue_id === input.issue_id && JSON.stringify(existing.expect) === JSON.stringify(expect);
      if (!same) throw new ValidationError(`Gate ${gateId} already exists with another definition`, [{ path: 'body.gate_id', message: 'already used' }]);
      return { gate: existing, created: false };
    }
    this.makeRoom(input.issue_id);
    const now = Date.now();
    const gate: GateView = {
      gate_id: gateId, issue_id: input.issue_id, state: 'waiting', expect, satisfied: [], pending: [...expect],
      created_by: caller.sub, created_at: new Date(now).toISOString(),
      timeout_seconds: input.timeout_seconds ?? null,
      expires_at: input.timeout_seconds !== undefined ? new Date(now + input.timeout_seconds * 1000).toISOString() : null,
      opened_at: null, expired_at: null,
    };
    // Indexed before the store is asked, so a result stored meanwhile is seen by one or the other.
    this.gates.set(gateId, gate);
    this.index(gate);
    await this.fillFromStore(gate);
    if (gate.pending.length === 0) {
      await this.open(gate);
    } else {
      await this.persist(gate);
      if (gate.expires_at !== null) this.deadlines.schedule(gateId, Date.parse(gate.expires_at));
    }
    return { gate, created: true };
  }

  get(caller: CoordinationCaller, gateId: string): GateView {
    const gate = this.gates.get(gateId);
    if (!gate) throw new NotFoundError('No gate with that id', { gate_id: gateId });
    this.requireScope(caller, gate.issue_id);
    return gate;
  }

  list(caller: CoordinationCaller, filter: { issue_id?: string | undefined; state?: string | undefined } = {}): GateView[] {
    const issue = filter.issue_id ?? caller.issue_id;
    if (issue !== undefined) this.requireScope(caller, issue);
    const ids = issue !== undefined ? [...(this.byIssue.get(issue) ?? [])] : [...this.gates.keys()];
    return ids.map((id) => this.gates.get(id)!).filter((g) => filter.state === undefined || g.state === filter.state)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Long-poll: the gate at once when it is decided, else when it is, else at the timeout (`timeout: true`). */
  wait(caller: CoordinationCaller, gateId: string, timeoutMs: number, signal?: AbortSignal): Promise<GateView & { timeout?: true }> {
    const gate = this.get(caller, gateId);
    if (gate.state !== 'waiting' || timeoutMs <= 0 || this.closed) return Promise.resolve(gate.state === 'waiting' ? { ...gate, timeout: true } : gate);
    const mine = this.waitsByCaller.get(caller.sub) ?? 0;
    if (this.waitCount >= LIMITS.maxGateWaits || mine >= LIMITS.maxGateWaitsPerCaller) {
      throw new RateLimitError('Too many concurrent gate waits', 1, LIMITS.maxGateWaitsPerCaller);
    }
    const ms = Math.min(timeoutMs, LIMITS.maxGateWaitMs);
    return new Promise((resolve) => {
      let set = this.waiters.get(gateId);
      if (!set) this.waiters.set(gateId, (set = new Set()));
      const waiter: Waiter = {
        caller: caller.sub,
        resolve: (v) => {
          if (!set.delete(waiter)) return;
          clearTimeout(waiter.timer);
          if (set.size === 0) this.waiters.delete(gateId);
          this.waitCount--;
          const n = (this.waitsByCaller.get(caller.sub) ?? 1) - 1;
          if (n <= 0) this.waitsByCaller.delete(caller.sub);
          else this.waitsByCaller.set(caller.sub, n);
          resolve(v);
        },
        timer: setTimeout(() => waiter.resolve({ ...this.gates.get(gateId)!, timeout: true }), ms),
      };
      set.add(waiter);
      this.waitCount++;
      this.waitsByCaller.set(caller.sub, mine + 1);
      signal?.addEventListener('abort', () => waiter.resolve({ ...this.gates.get(gateId)!, timeout: true }), { once: true });
    });
  }

  /** A result was stored: satisfy the waiting gates of its issue that expect it. */
  onResultStored(notice: StoredResultNotice): void {
    if (notice.project_id !== this.deps.projectId) return;
    for (const id of this.byIssue.get(notice.issue_id) ?? []) {
      const gate = this.gates.get(id);
      if (!gate || gate.state !== 'waiting') continue;
      if (this.satisfy(gate, notice.agent_type, notice.status, { id: notice.id, agent_id: notice.agent_id }) && gate.pending.length === 0) {
        void this.open(gate).catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deadlines.close();
    for (const [id, set] of [...this.waiters]) for (const w of [...set]) w.resolve({ ...this.gates.get(id)!, timeout: true });
    await this.eventChain;
  }

  // ---------------------------------------------------------------------------------------------

  private requireScope(caller: CoordinationCaller, issueId: string): void {
    if (caller.project_id !== this.deps.projectId && !hasPerm(caller.permissions, 'admin')) {
      throw new ForbiddenError('Token is scoped to another project', { token_project_id: caller.project_id });
    }
    if (caller.issue_id !== undefined && caller.issue_id !== issueId) {
      throw new ForbiddenError('Token is scoped to another issue', { token_issue_id: caller.issue_id });
    }
  }

  private async fillFromStore(gate: GateView): Promise<void> {
    for (const e of [...gate.pending]) {
      const found = await this.deps.results.find(this.deps.projectId, gate.issue_id, e.agent_type, e.status);
      if (found && gate.state === 'waiting') this.satisfy(gate, e.agent_type, e.status, found);
    }
  }

  private satisfy(gate: GateView, agentType: string, status: string, result: { id: string; agent_id: string }): boolean {
    const i = gate.pending.findIndex((p) => p.agent_type === agentType && p.status === status);
    if (i < 0) return false;
    const [met] = gate.pending.splice(i, 1);
    gate.satisfied.push({ ...met!, result_id: result.id, agent_id: result.agent_id });
    return true;
  }

  private async open(gate: GateView): Promise<void> {
    if (gate.state !== 'waiting') return;
    gate.state = 'open';
    gate.opened_at = new Date().toISOString();
    this.deadlines.cancel(gate.gate_id);
    await this.decided(gate, 'gate_opened');
  }

  private async expire(gateId: string): Promise<void> {
    const gate = this.gates.get(gateId);
    if (!gate || gate.state !== 'waiting') return;
    gate.state = 'expired';
    gate.expired_at = new Date().toISOString();
    await this.decided(gate, 'gate_expired');
  }

  private async decided(gate: GateView, eventType: 'gate_opened' | 'gate_expired'): Promise<void> {
    const persisted = this.persist(gate);
    this.eventChain = this.eventChain.then(() => persisted).then(() => {
      this.deps.publish({ event_type: eventType, topic: TOPIC, data: { ...gate, expect: gate.expect, satisfied: gate.satisfied, pending: gate.pending } })
        .catch((err: unknown) => this.deps.log.warn({ err, event_type: eventType }, 'gate event not published'));
    }, () => undefined);
    for (const w of [...(this.waiters.get(gate.gate_id) ?? [])]) w.resolve(gate);
    await persisted;
  }

  private async persist(gate: GateView): Promise<void> {
    try {
      await this.deps.journal.append({ t: 'G', gate } satisfies GateRecord);
    } catch (err) {
      this.deps.log.warn({ err, gate_id: gate.gate_id }, 'gate not persisted');
      throw new StorageWriteError('The gate could not be stored durably');
    }
  }

  /** At most maxGatesPerIssue per issue: the oldest decided gate makes room; all waiting → 429. */
  private makeRoom(issueId: string): void {
    let waiting = 0;
    for (const g of this.gates.values()) if (g.state === 'waiting') waiting++;
    if (waiting >= LIMITS.maxWaitingGates) throw new RateLimitError(`${LIMITS.maxWaitingGates} gates are waiting`, 5, LIMITS.maxWaitingGates);
    const ids = this.byIssue.get(issueId);
    if (!ids || ids.size < LIMITS.maxGatesPerIssue) return;
    const decided = [...ids].map((id) => this.gates.get(id)!).filter((g) => g.state !== 'waiting').sort((a, b) => a.created_at.localeCompare(b.created_at));
    const oldest = decided[0];
    if (!oldest) throw new RateLimitError(`Issue ${issueId} already has ${LIMITS.maxGatesPerIssue} waiting gates`, 5, LIMITS.maxGatesPerIssue);
    this.gates.delete(oldest.gate_id);
    ids.delete(oldest.gate_id);
    // Best effort: without it the evicted gate comes back at the next start until compaction drops it.
    this.deps.journal.append({ t: 'D', gate_id: oldest.gate_id } satisfies GateRecord).catch(() => undefined);
  }

  private index(gate: GateView): void {
    let set = this.byIssue.get(gate.issue_id);
    if (!set) this.byIssue.set(gate.issue_id, (set = new Set()));
    set.add(gate.gate_id);
  }
}

function dedupe(list: GateExpectation[]): GateExpectation[] {
  const seen = new Set<string>();
  return list.filter((e) => !seen.has(key(e)) && Boolean(seen.add(key(e))));
}
