import { ForbiddenError, LeaseConflictError, NotFoundError, RateLimitError, ValidationError } from '../errors/index.js';
import { PathTrie } from './path-trie.js';
import { LeasePathError, normaliseLeasePath, resolveLeasePath } from './lease-path.js';
import { newLeaseId, view, type Lease } from './lease-records.js';
import type { LeaseStore, StoredConflict } from './lease-store.js';
import {
  COORDINATION_LIMITS as LIMITS,
  hasPerm,
  type AcquireInput,
  type CoordinationCaller,
  type CoordinationPublish,
  type LeaseConflict,
  type LeaseListFilter,
  type LeasedBy,
  type LeaseView,
} from './coordination-types.js';

/** A request in line for its paths: a waiter, or a request whose grant is on its way to the store. */
interface Queued {
  seq: number;
  caller: CoordinationCaller;
}

interface Waiter extends Queued {
  paths: string[];
  ttlMs: number;
  reason: string | null;
  enqueuedAt: number;
  timer: NodeJS.Timeout;
  resolve: (lease: LeaseView) => void;
  reject: (err: Error) => void;
}

export interface LeaseServiceDeps {
  projectId: string;
  /** realpath of the project root. */
  realRoot: string;
  store: LeaseStore;
  publish: CoordinationPublish;
  log: { warn(obj: object, msg: string): void };
}

const DEFAULT_TTL_S = 300;
const TOPIC = 'coordination';

/**
 * Leases (spec §8): exclusive, expiring, fenced claims on paths of the project. This is the
 * backend-neutral half: validation and path normalisation, permissions, queueing, events, views.
 * The store (embedded or Redis) does the conflict check and the fencing counter atomically.
 *
 * - Queueing: with `wait_ms` a request waits; on this sidecar first come, first served (a request
 *   is not granted while an earlier waiter of another holder here overlaps it). Waiters retry when
 *   the store reports freed paths, also paths freed on another node. A waiter whose client goes
 *   away (abort signal) leaves the queue.
 * - Events `lease_acquired`, `lease_released`, `lease_expired` are published in the order this
 *   sidecar saw the changes, each after the store made it durable; an expiry is published by the
 *   one node whose store removed the lease.
 *
 * @example
 * const lease = await leases.acquire(caller, { paths: ['src/app.ts'], ttl_seconds: 120, wait_ms: 5_000 });
 * await leases.release(caller, lease.lease_id);
 */
export class LeaseService {
  private readonly waiters = new Map<number, Waiter>();
  private readonly queued = new PathTrie<Queued>();
  private readonly queuedByHolder = new Map<string, number>();
  private requestSeq = 0;
  private eventChain: Promise<void> = Promise.resolve();
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private closed = false;

  constructor(private readonly deps: LeaseServiceDeps) {}

  /** Start the store's expiry and change notifications (once, before any request). */
  async start(): Promise<void> {
    await this.deps.store.start({
      expired: (lease) => this.emit('lease_expired', { ...view(lease), why: 'expired', ended_at: new Date().toISOString() }),
      freed: () => this.pump(),
    });
  }

  /** False when surely no lease is stored (lets the context route skip the look-ups). */
  get mayHoldAny(): boolean {
    return this.deps.store.mayHoldAny();
  }

  stats(): { live_leases: number; waiting_requests: number; fencing_token: number } {
    const s = this.deps.store.stats();
    return { live_leases: s.live_leases, waiting_requests: this.waiters.size, fencing_token: s.fencing_token };
  }

  /** Acquire a lease on every path (all or nothing); 409 LSE_001 on conflict unless `wait_ms` lets it queue. */
  async acquire(caller: CoordinationCaller, input: AcquireInput, options: { signal?: AbortSignal } = {}): Promise<LeaseView> {
    this.requireProject(caller);
    const paths = await this.resolvePaths(input.paths);
    if (this.closed) throw new LeaseConflictError('The sidecar is shutting down', []);
    const ttlMs = (input.ttl_seconds ?? DEFAULT_TTL_S) * 1000;
    const reason = input.reason ?? null;
    const seq = ++this.requestSeq;
    let conflicts: StoredConflict[] = [];
    if (!this.queuedAhead(paths, caller.sub, seq)) {
      // In line while the store answers, so a later request for an overlapping path cannot overtake it.
      const inFlight: Queued = { seq, caller };
      for (const p of paths) this.queued.insert(p, inFlight);
      let outcome: Awaited<ReturnType<LeaseService['tryGrant']>>;
      try {
        outcome = await this.tryGrant(caller, paths, ttlMs, reason);
      } catch (err) {
        this.leaveLine(paths, inFlight);
        throw err;
      }
      if (outcome.ok) {
        this.leaveLine(paths, inFlight);
        return this.granted(outcome.lease, seq, 0);
      }
      // Still in line: it becomes a waiter below (same seq) or leaves with the 409.
      for (const p of paths) this.queued.remove(p, inFlight);
      conflicts = outcome.conflicts;
    }
    const waitMs = input.wait_ms ?? 0;
    if (waitMs <= 0 || this.closed) {
      if (this.waiters.size > 0) this.pump();
      throw this.conflictError(paths, caller.sub, seq, conflicts);
    }
    if (this.waiters.size >= LIMITS.maxWaiters || (this.queuedByHolder.get(caller.sub) ?? 0) >= LIMITS.maxWaitersPerHolder) {
      throw new RateLimitError('Too many lease requests are waiting', 1, LIMITS.maxWaitersPerHolder, { waiting: this.waiters.size });
    }
    return new Promise<LeaseView>((resolve, reject) => {
      const waiter: Waiter = {
        seq,
        caller,
        paths,
        ttlMs,
        reason,
        enqueuedAt: Date.now(),
        resolve,
        reject,
        timer: setTimeout(() => {
          if (!this.dequeue(waiter)) return;
          const now = Date.now();
          void Promise.all(
            paths.map(async (p) => (await this.deps.store.overlapping(p, now, caller.sub, LIMITS.maxConflictsReported)).map((h) => ({ path: p, ...h }))),
          )
            .then(
              (hits) => hits.flat(),
              () => [],
            )
            .then((hits) => reject(this.conflictError(paths, caller.sub, seq, hits, `Still conflicting after waiting ${waitMs} ms`)));
          this.pump();
        }, waitMs),
      };
      this.waiters.set(seq, waiter);
      for (const p of paths) this.queued.insert(p, waiter);
      this.queuedByHolder.set(caller.sub, (this.queuedByHolder.get(caller.sub) ?? 0) + 1);
      options.signal?.addEventListener(
        'abort',
        () => {
          if (!this.dequeue(waiter)) return;
          reject(new LeaseConflictError('The client went away while waiting', []));
          this.pump();
        },
        { once: true },
      );
      // Paths freed elsewhere between the failed grant and now would otherwise go unnoticed.
      this.pump();
    });
  }

  /** New expiry `ttl_seconds` from now; holder, `manage_agents` or admin. */
  async renew(caller: CoordinationCaller, leaseId: string, ttlSeconds: number): Promise<LeaseView> {
    await this.mustGet(caller, leaseId);
    const renewed = await this.deps.store.renew(leaseId, Date.now() + ttlSeconds * 1000);
    if (!renewed) throw new NotFoundError('No live lease with that id (released or expired)', { lease_id: leaseId });
    return view(renewed);
  }

  /** Release a lease; holder, `manage_agents` or admin (else 403); 404 once it is gone. */
  async release(caller: CoordinationCaller, leaseId: string): Promise<LeaseView & { released_at: string }> {
    const lease = await this.mustGet(caller, leaseId);
    const why = lease.holder === caller.sub ? 'released' : `released by ${caller.sub}`;
    if (!(await this.end(lease.id, why))) throw new NotFoundError('No live lease with that id (released or expired)', { lease_id: leaseId });
    return { ...view(lease), released_at: new Date().toISOString() };
  }

  /** Release every lease a holder has (a spawned agent exited or was killed); waiting requests are dropped too. */
  async releaseHolder(holder: string, why: string): Promise<number> {
    for (const w of [...this.waiters.values()]) {
      if (w.caller.sub === holder && this.dequeue(w)) w.reject(new LeaseConflictError(`Holder ${holder} ended`, []));
    }
    const held = await this.deps.store.list(holder);
    const ended = await Promise.all(held.map((l) => this.end(l.id, why)));
    if (held.length === 0) this.pump();
    return ended.filter(Boolean).length;
  }

  async list(filter: LeaseListFilter = {}): Promise<LeaseView[]> {
    const now = Date.now();
    let found: Lease[];
    if (filter.path !== undefined) {
      let p: string;
      try {
        p = normaliseLeasePath(filter.path);
      } catch (err) {
        throw new ValidationError(`Invalid query: query.path ${(err as Error).message}`, [{ path: 'query.path', message: (err as Error).message }]);
      }
      const byId = new Map((await this.deps.store.overlapping(p, now, undefined, Number.POSITIVE_INFINITY)).map((h) => [h.lease.id, h.lease]));
      found = [...byId.values()];
    } else {
      found = await this.deps.store.list(filter.holder);
    }
    return found
      .filter(
        (l) => l.exp > now && (filter.holder === undefined || l.holder === filter.holder) && (filter.issue_id === undefined || l.issueId === filter.issue_id),
      )
      .sort((a, b) => a.fence - b.fence)
      .map(view);
  }

  async get(leaseId: string): Promise<LeaseView | undefined> {
    const l = await this.deps.store.get(leaseId);
    return l && l.exp > Date.now() ? view(l) : undefined;
  }

  /** The live lease of another holder on this path, an ancestor or below it, if any (context `leased_by`). */
  async leasedBy(path: string, exceptHolder?: string): Promise<LeasedBy | null> {
    const [hit] = await this.deps.store.overlapping(path, Date.now(), exceptHolder, 1);
    if (!hit) return null;
    const l = hit.lease;
    return {
      lease_id: l.id,
      holder: l.holder,
      agent_type: l.agentType,
      path: hit.leasedPath,
      fencing_token: l.fence,
      expires_at: new Date(l.exp).toISOString(),
    };
  }

  /** Answer every waiter, let queued events reach the bus, close the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.waiters.values()]) if (this.dequeue(w)) w.reject(new LeaseConflictError('The sidecar is shutting down', []));
    await this.pumping;
    await this.eventChain;
    await this.deps.store.close();
  }

  // ---------------------------------------------------------------------------------------------

  private requireProject(caller: CoordinationCaller): void {
    if (caller.project_id !== this.deps.projectId && !hasPerm(caller.permissions, 'admin')) {
      throw new ForbiddenError('Token is scoped to another project', { token_project_id: caller.project_id });
    }
  }

  private async mustGet(caller: CoordinationCaller, leaseId: string): Promise<Lease> {
    this.requireProject(caller);
    const lease = await this.deps.store.get(leaseId);
    if (!lease || lease.exp <= Date.now()) throw new NotFoundError('No live lease with that id (released or expired)', { lease_id: leaseId });
    if (lease.holder !== caller.sub && !hasPerm(caller.permissions, 'manage_agents')) {
      throw new ForbiddenError(`Lease ${leaseId} is held by '${lease.holder}'; only its holder, manage_agents or admin may change it`, {
        holder: lease.holder,
      });
    }
    return lease;
  }

  private async resolvePaths(raw: string[]): Promise<string[]> {
    const issues: Array<{ path: string; message: string }> = [];
    const out = await Promise.all(
      raw.map(async (p, i) => {
        try {
          return await resolveLeasePath(this.deps.realRoot, normaliseLeasePath(p));
        } catch (err) {
          if (!(err instanceof LeasePathError)) throw err;
          issues.push({ path: `body.paths.${i}`, message: err.message });
          return '';
        }
      }),
    );
    if (issues.length > 0) throw new ValidationError(`Invalid body: ${issues[0]!.path} ${issues[0]!.message}`, issues);
    return [...new Set(out)];
  }

  /** An earlier waiter of another holder on this sidecar overlaps a path. */
  private queuedAhead(paths: string[], holder: string, seq: number): boolean {
    return paths.some((p) => this.queued.overlaps(p, (w) => w.seq < seq && w.caller.sub !== holder));
  }

  private async tryGrant(
    caller: CoordinationCaller,
    paths: string[],
    ttlMs: number,
    reason: string | null,
  ): Promise<{ ok: true; lease: Lease } | { ok: false; conflicts: StoredConflict[] }> {
    const now = Date.now();
    const outcome = await this.deps.store.grant({
      id: newLeaseId(),
      paths,
      holder: caller.sub,
      agentType: caller.agent_type,
      issueId: caller.issue_id ?? null,
      at: now,
      exp: now + ttlMs,
      reason,
      maxLeases: LIMITS.maxLeases,
      maxLeasesPerHolder: LIMITS.maxLeasesPerHolder,
      maxConflicts: LIMITS.maxConflictsReported,
    });
    if (outcome.ok || outcome.reason === 'conflict') return outcome;
    if (outcome.reason === 'max_leases') throw new RateLimitError(`The project holds ${LIMITS.maxLeases} leases; release some first`, 1, LIMITS.maxLeases);
    throw new RateLimitError(`Holder '${caller.sub}' already holds ${LIMITS.maxLeasesPerHolder} leases`, 1, LIMITS.maxLeasesPerHolder);
  }

  private granted(lease: Lease, seq: number, waitedMs: number): LeaseView {
    this.emit('lease_acquired', { ...view(lease), request_seq: seq, waited_ms: waitedMs });
    return view(lease);
  }

  private conflictError(paths: string[], holder: string, seq: number, found: StoredConflict[], prefix?: string): LeaseConflictError {
    const conflicts: LeaseConflict[] = found.slice(0, LIMITS.maxConflictsReported).map((c) => ({
      path: c.path,
      leased_path: c.leasedPath,
      lease_id: c.lease.id,
      holder: c.lease.holder,
      expires_at: new Date(c.lease.exp).toISOString(),
    }));
    const queuedAhead = new Set(paths.flatMap((p) => this.queued.overlapping(p, (w) => w.seq < seq && w.caller.sub !== holder).map((h) => h.entry))).size;
    const names = [...new Set(conflicts.map((c) => c.holder))].join(', ');
    const what = conflicts.length > 0 ? `leased by ${names}` : `requested earlier by ${queuedAhead} waiting request(s)`;
    return new LeaseConflictError(`${prefix ? `${prefix}: ` : ''}${conflicts[0]?.path ?? paths[0]} is ${what}`, conflicts, { queued_ahead: queuedAhead });
  }

  /** Remove a lease and publish its end; false when another caller (or node) removed it first. */
  private async end(id: string, why: string): Promise<boolean> {
    const lease = await this.deps.store.remove(id, why);
    if (!lease) return false;
    this.emit('lease_released', { ...view(lease), why, ended_at: new Date().toISOString() });
    this.pump();
    return true;
  }

  /** Retry every waiter, oldest first; one pass at a time, another pass when paths were freed meanwhile. */
  private pump(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = (async () => {
      do {
        this.pumpAgain = false;
        for (const w of [...this.waiters.values()]) {
          if (this.closed) return;
          if (!this.waiters.has(w.seq) || this.queuedAhead(w.paths, w.caller.sub, w.seq)) continue;
          let outcome: Awaited<ReturnType<LeaseService['tryGrant']>>;
          try {
            outcome = await this.tryGrant(w.caller, w.paths, w.ttlMs, w.reason);
          } catch (err) {
            if (this.dequeue(w)) w.reject(err as Error);
            continue;
          }
          if (!outcome.ok) continue;
          if (!this.dequeue(w)) {
            // The client left while the grant was on its way: nobody holds it, give it back quietly.
            await this.deps.store.remove(outcome.lease.id, 'waiter left').catch(() => undefined);
            continue;
          }
          w.resolve(this.granted(outcome.lease, w.seq, Date.now() - w.enqueuedAt));
        }
      } while (this.pumpAgain && !this.closed);
    })().finally(() => {
      this.pumping = undefined;
    });
  }

  /** A request that was in line without waiting leaves it; the waiters behind it may go. */
  private leaveLine(paths: string[], entry: Queued): void {
    for (const p of paths) this.queued.remove(p, entry);
    if (this.waiters.size > 0) this.pump();
  }

  private dequeue(w: Waiter): boolean {
    if (!this.waiters.delete(w.seq)) return false;
    clearTimeout(w.timer);
    for (const p of w.paths) this.queued.remove(p, w);
    const n = (this.queuedByHolder.get(w.caller.sub) ?? 1) - 1;
    if (n <= 0) this.queuedByHolder.delete(w.caller.sub);
    else this.queuedByHolder.set(w.caller.sub, n);
    return true;
  }

  /** Events go out in the order the changes happened here. */
  private emit(eventType: string, data: Record<string, unknown>): void {
    this.eventChain = this.eventChain.then(() => {
      this.deps
        .publish({ event_type: eventType, topic: TOPIC, data })
        .catch((err: unknown) => this.deps.log.warn({ err, event_type: eventType }, 'coordination event not published'));
    });
  }
}
