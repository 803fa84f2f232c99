import { ForbiddenError, NotFoundError, RateLimitError, ValidationError } from '../errors/index.js';
import type { GateStore } from './gate-store.js';
import {
  COORDINATION_LIMITS as LIMITS,
  hasPerm,
  type CoordinationCaller,
  type CoordinationPublish,
  type CreateGateInput,
  type ExpectedStatus,
  type GateExpectation,
  type GateView,
} from './coordination-types.js';
import { randomBytes } from 'node:crypto';

export type { GateRecord } from './embedded-gate-store.js';

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
  store: GateStore;
  results: GateResultSource;
  publish: CoordinationPublish;
  log: { warn(obj: object, msg: string): void };
}

interface Waiter {
  caller: string;
  /** The gate as the wait found it (the answer when the sidecar shuts down). */
  last: GateView;
  resolve: (v: GateView & { timeout?: true }) => void;
  timer: NodeJS.Timeout;
}

const TOPIC = 'coordination';
/** Compare-and-set retries when other nodes write the same gate at the same moment. */
const MAX_WRITE_ATTEMPTS = 16;

function key(e: GateExpectation): string {
  return `${e.agent_type}\u0000${e.status}`;
}

/**
 * Gates (spec §8): "continue when every expected agent has delivered". A gate opens when a result
 * of every expected agent type with the expected status is stored for its issue, results stored
 * before the gate was created included; a failure does not satisfy a `success` expectation, and
 * an open gate stays open whatever is stored later. Without every result by `timeout_seconds` it
 * expires. Backend-neutral: the store (journal or Redis) keeps the gates; every change is a
 * compare-and-set, so when several sidecars hear the same result only one opens the gate and
 * publishes `gate_opened` / `gate_expired`. Waits answer when the store reports the gate decided,
 * also when another node decided it.
 *
 * @example
 * const { gate } = await gates.create(caller, { issue_id: 'ISSUE-7', expect: [{ agent_type: 'test-engineer' }] });
 * const decided = await gates.wait(caller, gate.gate_id, 60_000);
 */
export class GateService {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly waitsByCaller = new Map<string, number>();
  private waitCount = 0;
  private eventChain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: GateServiceDeps) {}

  /** Start the store, re-check waiting gates against the stored results, expire the overdue ones. */
  async start(): Promise<void> {
    await this.deps.store.start({
      changed: (id) => void this.wake(id).catch(() => undefined),
      due: (id) => void this.expire(id).catch(() => undefined),
    });
    const now = Date.now();
    for (const g of await this.deps.store.list()) {
      if (g.state !== 'waiting') continue;
      if (g.expires_at !== null && Date.parse(g.expires_at) <= now) await this.expire(g.gate_id);
      else
        await this.update(g.gate_id, async (gate) => {
          await this.fillFromStore(gate);
          return gate.pending.length === 0 ? this.opened(gate) : gate;
        });
    }
  }

  stats(): { gates: number; waiting_gates: number; gate_waits: number } {
    return { ...this.deps.store.stats(), gate_waits: this.waitCount };
  }

  async create(caller: CoordinationCaller, input: CreateGateInput): Promise<{ gate: GateView; created: boolean }> {
    this.requireScope(caller, input.issue_id);
    const expect = dedupe(input.expect.map((e) => ({ agent_type: e.agent_type, status: e.status ?? 'success' })));
    const gateId = input.gate_id ?? `gate_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
    const same = (g: GateView): boolean => g.issue_id === input.issue_id && JSON.stringify(g.expect) === JSON.stringify(expect);
    const existing = await this.deps.store.get(gateId);
    if (existing) return this.again(existing, same, gateId);
    await this.makeRoom(input.issue_id);
    const now = Date.now();
    let gate: GateView = {
      gate_id: gateId,
      issue_id: input.issue_id,
      state: 'waiting',
      expect,
      satisfied: [],
      pending: [...expect],
      created_by: caller.sub,
      created_at: new Date(now).toISOString(),
      timeout_seconds: input.timeout_seconds ?? null,
      expires_at: input.timeout_seconds !== undefined ? new Date(now + input.timeout_seconds * 1000).toISOString() : null,
      opened_at: null,
      expired_at: null,
    };
    if (!(await this.deps.store.put(gate, undefined))) {
      // The same id created meanwhile (a retried request, perhaps through another node).
      const raced = await this.deps.store.get(gateId);
      if (raced) return this.again(raced, same, gateId);
    }
    // Written before the result store is asked, so a result stored meanwhile is seen by one or the other.
    gate =
      (await this.update(gateId, async (g) => {
        await this.fillFromStore(g);
        return g.pending.length === 0 ? this.opened(g) : g;
      })) ?? gate;
    return { gate, created: true };
  }

  async get(caller: CoordinationCaller, gateId: string): Promise<GateView> {
    const gate = await this.deps.store.get(gateId);
    if (!gate) throw new NotFoundError('No gate with that id', { gate_id: gateId });
    this.requireScope(caller, gate.issue_id);
    return gate;
  }

  async list(caller: CoordinationCaller, filter: { issue_id?: string | undefined; state?: string | undefined } = {}): Promise<GateView[]> {
    const issue = filter.issue_id ?? caller.issue_id;
    if (issue !== undefined) this.requireScope(caller, issue);
    return (await this.deps.store.list(issue))
      .filter((g) => filter.state === undefined || g.state === filter.state)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Long-poll: the gate at once when it is decided, else when it is (on any node), else at the timeout (`timeout: true`). */
  async wait(caller: CoordinationCaller, gateId: string, timeoutMs: number, signal?: AbortSignal): Promise<GateView & { timeout?: true }> {
    const gate = await this.get(caller, gateId);
    if (gate.state !== 'waiting' || timeoutMs <= 0 || this.closed) return gate.state === 'waiting' ? { ...gate, timeout: true } : gate;
    const mine = this.waitsByCaller.get(caller.sub) ?? 0;
    if (this.waitCount >= LIMITS.maxGateWaits || mine >= LIMITS.maxGateWaitsPerCaller) {
      throw new RateLimitError('Too many concurrent gate waits', 1, LIMITS.maxGateWaitsPerCaller);
    }
    const ms = Math.min(timeoutMs, LIMITS.maxGateWaitMs);
    const answer = new Promise<GateView & { timeout?: true }>((resolve) => {
      let set = this.waiters.get(gateId);
      if (!set) this.waiters.set(gateId, (set = new Set()));
      const timedOut = (): void => {
        void this.deps.store.get(gateId).then(
          (g) => waiter.resolve({ ...(g ?? gate), timeout: true }),
          () => waiter.resolve({ ...gate, timeout: true }),
        );
      };
      const waiter: Waiter = {
        caller: caller.sub,
        last: gate,
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
        timer: setTimeout(timedOut, ms),
      };
      set.add(waiter);
      this.waitCount++;
      this.waitsByCaller.set(caller.sub, mine + 1);
      signal?.addEventListener('abort', timedOut, { once: true });
    });
    // Decided between the read above and the waiter's registration: answer now.
    await this.wake(gateId);
    return answer;
  }

  /** A result was stored (heard on the bus, from any node): satisfy the waiting gates of its issue that expect it. */
  onResultStored(notice: StoredResultNotice): void {
    if (notice.project_id !== this.deps.projectId) return;
    void (async () => {
      for (const g of await this.deps.store.list(notice.issue_id)) {
        if (g.state !== 'waiting') continue;
        await this.update(g.gate_id, (gate) => {
          if (!this.satisfy(gate, notice.agent_type, notice.status, { id: notice.id, agent_id: notice.agent_id })) return undefined;
          return gate.pending.length === 0 ? this.opened(gate) : gate;
        });
      }
    })().catch((err: unknown) => this.deps.log.warn({ err, issue_id: notice.issue_id }, 'gates not updated for a stored result'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w.resolve({ ...w.last, timeout: true });
    await this.eventChain;
    await this.deps.store.close();
  }

  // ---------------------------------------------------------------------------------------------

  private again(existing: GateView, same: (g: GateView) => boolean, gateId: string): { gate: GateView; created: boolean } {
    // Creating the same gate again (a retried request) answers the gate; another definition is refused.
    if (!same(existing))
      throw new ValidationError(`Gate ${gateId} already exists with another definition`, [{ path: 'body.gate_id', message: 'already used' }]);
    return { gate: existing, created: false };
  }

  private requireScope(caller: CoordinationCaller, issueId: string): void {
    if (caller.project_id !== this.deps.projectId && !hasPerm(caller.permissions, 'admin')) {
      throw new ForbiddenError('Token is scoped to another project', { token_project_id: caller.project_id });
    }
    if (caller.issue_id !== undefined && caller.issue_id !== issueId) {
      throw new ForbiddenError('Token is scoped to another issue', { token_issue_id: caller.issue_id });
    }
  }

  /**
   * Read, change, compare-and-set, until the write lands or there is nothing to change
   * (`change` answers undefined). A waiting→decided write publishes its event, once cluster-wide.
   */
  private async update(gateId: string, change: (gate: GateView) => GateView | undefined | Promise<GateView | undefined>): Promise<GateView | undefined> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const before = await this.deps.store.get(gateId);
      if (!before || before.state !== 'waiting') return before;
      const after = await change(structuredClone(before));
      if (!after) return before;
      if (!(await this.deps.store.put(after, before))) continue;
      if (after.state !== 'waiting') this.decided(after);
      return after;
    }
    this.deps.log.warn({ gate_id: gateId }, 'gate write kept losing to other writers');
    return this.deps.store.get(gateId);
  }

  private async fillFromStore(gate: GateView): Promise<void> {
    for (const e of [...gate.pending]) {
      const found = await this.deps.results.find(this.deps.projectId, gate.issue_id, e.agent_type, e.status);
      if (found) this.satisfy(gate, e.agent_type, e.status, found);
    }
  }

  private satisfy(gate: GateView, agentType: string, status: string, result: { id: string; agent_id: string }): boolean {
    const i = gate.pending.findIndex((p) => p.agent_type === agentType && p.status === status);
    if (i < 0) return false;
    const [met] = gate.pending.splice(i, 1);
    gate.satisfied.push({ ...met!, result_id: result.id, agent_id: result.agent_id });
    return true;
  }

  private opened(gate: GateView): GateView {
    return { ...gate, state: 'open', opened_at: new Date().toISOString() };
  }

  private async expire(gateId: string): Promise<void> {
    await this.update(gateId, (gate) => {
      if (gate.expires_at === null || Date.parse(gate.expires_at) > Date.now()) return undefined;
      return { ...gate, state: 'expired', expired_at: new Date().toISOString() };
    });
  }

  /** This node decided the gate: publish it and answer the local waits (other nodes hear the store). */
  private decided(gate: GateView): void {
    const eventType = gate.state === 'open' ? 'gate_opened' : 'gate_expired';
    this.eventChain = this.eventChain.then(() => {
      this.deps
        .publish({ event_type: eventType, topic: TOPIC, data: { ...gate } })
        .catch((err: unknown) => this.deps.log.warn({ err, event_type: eventType }, 'gate event not published'));
    });
    for (const w of [...(this.waiters.get(gate.gate_id) ?? [])]) w.resolve(gate);
  }

  /** The store reports a write: answer the local waits once the gate is decided. */
  private async wake(gateId: string): Promise<void> {
    if (!this.waiters.has(gateId)) return;
    const gate = await this.deps.store.get(gateId);
    if (!gate || gate.state === 'waiting') return;
    for (const w of [...(this.waiters.get(gateId) ?? [])]) w.resolve(gate);
  }

  /** At most maxGatesPerIssue per issue: the oldest decided gate makes room; all waiting → 429. */
  private async makeRoom(issueId: string): Promise<void> {
    if (this.deps.store.stats().waiting_gates >= LIMITS.maxWaitingGates)
      throw new RateLimitError(`${LIMITS.maxWaitingGates} gates are waiting`, 5, LIMITS.maxWaitingGates);
    const gates = await this.deps.store.list(issueId);
    if (gates.length < LIMITS.maxGatesPerIssue) return;
    const decided = gates.filter((g) => g.state !== 'waiting').sort((a, b) => a.created_at.localeCompare(b.created_at));
    const oldest = decided[0];
    if (!oldest) throw new RateLimitError(`Issue ${issueId} already has ${LIMITS.maxGatesPerIssue} waiting gates`, 5, LIMITS.maxGatesPerIssue);
    await this.deps.store.delete(oldest.gate_id);
  }
}

function dedupe(list: GateExpectation[]): GateExpectation[] {
  const seen = new Set<string>();
  return list.filter((e) => !seen.has(key(e)) && Boolean(seen.add(key(e))));
}
