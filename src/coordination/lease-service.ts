import { ForbiddenError, LeaseConflictError, NotFoundError, RateLimitError, StorageWriteError, ValidationError } from '../errors/index.js';
import { DeadlineTimer } from './deadline-timer.js';
import { PathTrie } from './path-trie.js';
import { LeasePathError, normaliseLeasePath, resolveLeasePath } from './lease-path.js';
import type { CoordinationJournal } from './coordination-journal.js';
import { newLeaseId, view, type Lease, type LeaseRecord } from './lease-records.js';
import {
  COORDINATION_LIMITS as LIMITS, hasPerm,
  type AcquireInput, type CoordinationCaller, type CoordinationPublish, type LeaseConflict, type LeaseListFilter, type LeasedBy, type LeaseView,
} from './coordination-types.js';

interface Waiter {
  seq: number;
  caller: CoordinationCaller;
  paths: string[];
  ttlMs: number;
  reason: string | null;
  enqueuedAt: number;
  timer: NodeJS.Timeout;
  resolve: (lease: Promise<LeaseView>) => void;
  reject: (err: Error) => void;
}

export interface LeaseServiceDeps {
  projectId: string;
  /** realpath of the project root. */
  realRoot: string;
  journal: CoordinationJournal;
  publish: CoordinationPublish;
  log: { warn(obj: object, msg: string): void };
}

const DEFAULT_TTL_S = 300;
const TOPIC = 'coordination';

/**
 * Leases (spec §8): exclusive, expiring, fenced claims on paths of the project.
 *
 * - Conflicts: a path conflicts with another holder's live lease on itself, an ancestor or a
 *   descendant, found through a path trie (O(depth), never a scan of every lease).
 * - Fencing: every grant takes the next number of a per-project counter; the grant record that
 *   carries it is durable before the holder learns it, and the counter restarts above the highest
 *   number in the journal, so tokens grow strictly across restarts.
 * - Queueing: with `wait_ms` a request waits first come, first served: a request is granted only
 *   when no live lease and no earlier waiter of another holder overlaps it. A waiter whose client
 *   goes away (abort signal) leaves the queue.
 * - Expiry: one timer for the next deadline. Events `lease_acquired`, `lease_released`,
 *   `lease_expired` are published in the order the changes happened, each after its record is durable.
 *
 * @example
 * const lease = await leases.acquire(caller, { paths: ['src/app.ts'], ttl_seconds: 120, wait_ms: 5_000 });
 * await leases.release(caller, lease.lease_id);
 */
export class LeaseService {
  private readonly leases = new Map<string, Lease>();
  private readonly live = new PathTrie<Lease>();
  private readonly byHolder = new Map<string, Set<Lease>>();
  private readonly waiters = new Map<number, Waiter>();
  private readonly queued = new PathTrie<Waiter>();
  private readonly queuedByHolder = new Map<string, number>();
  private readonly deadlines = new DeadlineTimer((id) => this.expire(id));
  private fence = 0;
  private requestSeq = 0;
  private eventChain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: LeaseServiceDeps) {}

  /** Rebuild state from journal records (at open, before any request). */
  replay(record: LeaseRecord): void {
    switch (record.t) {
      case 'F': this.fence = Math.max(this.fence, record.fence); break;
      case 'L': {
        this.fence = Math.max(this.fence, record.fence);
        if (this.leases.has(record.id)) break;
        this.insert({ id: record.id, paths: record.paths, holder: record.holder, agentType: record.agent_type, issueId: record.issue_id,
          fence: record.fence, at: record.at, exp: record.exp, reason: record.reason });
        break;
      }
      case 'N': { const l = this.leases.get(record.id); if (l) { l.exp = record.exp; this.deadlines.schedule(l.id, l.exp); } break; }
      case 'R': { const l = this.leases.get(record.id); if (l) this.remove(l); break; }
    }
  }

  /** After replay: leases that expired while the sidecar was down expire now (their events published). */
  expireOverdue(): number {
    const now = Date.now();
    const overdue = [...this.leases.values()].filter((l) => l.exp <= now);
    for (const l of overdue) void this.end(l, 'expired', 'lease_expired').catch(() => undefined);
    return overdue.length;
  }

  /** Records that rebuild the current state (compaction). */
  snapshot(): LeaseRecord[] {
    const out: LeaseRecord[] = [{ t: 'F', fence: this.fence }];
    for (const l of this.leases.values()) {
      out.push({ t: 'L', id: l.id, paths: l.paths, holder: l.holder, agent_type: l.agentType, issue_id: l.issueId, fence: l.fence, at: l.at, exp: l.exp, reason: l.reason });
    }
    return out;
  }

  get liveCount(): number {
    return this.leases.size;
  }

  stats(): { live_leases: number; waiting_requests: number; fencing_token: number } {
    return { live_leases: this.leases.size, waiting_requests: this.waiters.size, fencing_token: this.fence };
  }

  /** Acquire a lease on every path (all or nothing); 409 LSE_001 on conflict unless `wait_ms` lets it queue. */
  async acquire(caller: CoordinationCaller, input: AcquireInput, options: { signal?: AbortSignal } = {}): Promise<LeaseView> {
    this.requireProject(caller);
    const paths = await this.resolvePaths(input.paths);
    if (this.closed) throw new LeaseConflictError('The sidecar is shutting down', []);
    if (this.leases.size >= LIMITS.maxLeases) throw new RateLimitError(`The project holds ${LIMITS.maxLeases} leases; release some first`, 1, LIMITS.maxLeases);
    if ((this.byHolder.get(caller.sub)?.size ?? 0) >= LIMITS.maxLeasesPerHolder) {
      throw new RateLimitError(`Holder '${caller.sub}' already holds ${LIMITS.maxLeasesPerHolder} leases`, 1, LIMITS.maxLeasesPerHolder);
    }
    const ttlMs = (input.ttl_seconds ?? DEFAULT_TTL_S) * 1000;
    const reason = input.reason ?? null;
    this.deadlines.runDue();
    const seq = ++this.requestSeq;
    if (!this.blocked(paths, caller.sub, seq)) return this.grant(caller, paths, ttlMs, reason, seq, 0);
    const waitMs = input.wait_ms ?? 0;
    if (waitMs <= 0) throw this.conflictError(paths, caller.sub, seq);
    if (this.waiters.size >= LIMITS.maxWaiters || (this.queuedByHolder.get(caller.sub) ?? 0) >= LIMITS.maxWaitersPerHolder) {
      throw new RateLimitError('Too many lease requests are waiting', 1, LIMITS.maxWaitersPerHolder, { waiting: this.waiters.size });
    }
    return new Promise<LeaseView>((resolve, reject) => {
      const waiter: Waiter = {
        seq, caller, paths, ttlMs, reason, enqueuedAt: Date.now(), resolve, reject,
        timer: setTimeout(() => {
          if (!this.dequeue(waiter)) return;
          reject(this.conflictError(paths, caller.sub, seq, `Still conflicting after waiting ${waitMs} ms`));
          this.pump();
        }, waitMs),
      };
      this.waiters.set(seq, waiter);
      for (const p of paths) this.queued.insert(p, waiter);
      this.queuedByHolder.set(caller.sub, (this.queuedByHolder.get(caller.sub) ?? 0) + 1);
      options.signal?.addEventListener('abort', () => {
        if (!this.dequeue(waiter)) return;
        reject(new LeaseConflictError('The client went away while waiting', []));
        this.pump();
      }, { once: true });
    });
  }

  /** New expiry `ttl_seconds` from now; holder, `manage_agents` or admin. */
  async renew(caller: CoordinationCaller, leaseId: string, ttlSeconds: number): Promise<LeaseView> {
    const lease = this.mustGet(caller, leaseId);
    lease.exp = Date.now() + ttlSeconds * 1000;
    this.deadlines.schedule(lease.id, lease.exp);
    await this.persist({ t: 'N', id: lease.id, exp: lease.exp });
    return view(lease);
  }

  /** Release a lease; holder, `manage_agents` or admin (else 403); 404 once it is gone. */
  async release(caller: CoordinationCaller, leaseId: string): Promise<LeaseView & { released_at: string }> {
    const lease = this.mustGet(caller, leaseId);
    const why = lease.holder === caller.sub ? 'released' : `released by ${caller.sub}`;
    await this.end(lease, why, 'lease_released');
    return { ...view(lease), released_at: new Date().toISOString() };
  }

  /** Release every lease a holder has (a spawned agent exited or was killed); waiting requests are dropped too. */
  async releaseHolder(holder: string, why: string): Promise<number> {
    for (const w of [...this.waiters.values()]) {
      if (w.caller.sub === holder && this.dequeue(w)) w.reject(new LeaseConflictError(`Holder ${holder} ended`, []));
    }
    const held = [...(this.byHolder.get(holder) ?? [])];
    await Promise.all(held.map((l) => this.end(l, why, 'lease_released')));
    if (held.length === 0) this.pump();
    return held.length;
  }

  list(filter: LeaseListFilter = {}): LeaseView[] {
    this.deadlines.runDue();
    let found: Iterable<Lease>;
    if (filter.path !== undefined) {
      let p: string;
      try {
        p = normaliseLeasePath(filter.path);
      } catch (err) {
        throw new ValidationError(`Invalid query: query.path ${(err as Error).message}`, [{ path: 'query.path', message: (err as Error).message }]);
      }
      found = new Set(this.live.overlapping(p).map((h) => h.entry));
    } else if (filter.holder !== undefined) {
      found = this.byHolder.get(filter.holder) ?? [];
    } else {
      found = this.leases.values();
    }
    return [...found]
      .filter((l) => (filter.holder === undefined || l.holder === filter.holder) && (filter.issue_id === undefined || l.issueId === filter.issue_id))
      .sort((a, b) => a.fence - b.fence)
      .map(view);
  }

  get(leaseId: string): LeaseView | undefined {
    const l = this.leases.get(leaseId);
    return l && l.exp > Date.now() ? view(l) : undefined;
  }

  /** The live lease of another holder on this path or an ancestor directory, if any (context `leased_by`). */
  leasedBy(path: string, exceptHolder?: string): LeasedBy | null {
    const now = Date.now();
    const hit = this.live.overlapping(path, (l) => l.holder !== exceptHolder && l.exp > now, 1)[0];
    if (!hit) return null;
    const l = hit.entry;
    return { lease_id: l.id, holder: l.holder, agent_type: l.agentType, path: hit.path, fencing_token: l.fence, expires_at: new Date(l.exp).toISOString() };
  }

  /** Answer every waiter, stop the timer, let queued events reach the bus. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.waiters.values()]) if (this.dequeue(w)) w.reject(new LeaseConflictError('The sidecar is shutting down', []));
    this.deadlines.close();
    await this.eventChain;
  }

  // ---------------------------------------------------------------------------------------------

  private requireProject(caller: CoordinationCaller): void {
    if (caller.project_id !== this.deps.projectId && !hasPerm(caller.permissions, 'admin')) {
      throw new ForbiddenError('Token is scoped to another project', { token_project_id: caller.project_id });
    }
  }

  private mustGet(caller: CoordinationCaller, leaseId: string): Lease {
    this.requireProject(caller);
    this.deadlines.runDue();
    const lease = this.leases.get(leaseId);
    if (!lease) throw new NotFoundError('No live lease with that id (released or expired)', { lease_id: leaseId });
    if (lease.holder !== caller.sub && !hasPerm(caller.permissions, 'manage_agents')) {
      throw new ForbiddenError(`Lease ${leaseId} is held by '${lease.holder}'; only its holder, manage_agents or admin may change it`, { holder: lease.holder });
    }
    return lease;
  }

  private async resolvePaths(raw: string[]): Promise<string[]> {
    const issues: Array<{ path: string; message: string }> = [];
    const out = await Promise.all(raw.map(async (p, i) => {
      try {
        return await resolveLeasePath(this.deps.realRoot, normaliseLeasePath(p));
      } catch (err) {
        if (!(err instanceof LeasePathError)) throw err;
        issues.push({ path: `body.paths.${i}`, message: err.message });
        return '';
      }
    }));
    if (issues.length > 0) throw new ValidationError(`Invalid body: ${issues[0]!.path} ${issues[0]!.message}`, issues);
    return [...new Set(out)];
  }

  /** Another holder's live lease, or an earlier waiter of another holder, overlaps a path. */
  private blocked(paths: string[], holder: string, seq: number): boolean {
    const now = Date.now();
    return paths.some((p) => this.live.overlaps(p, (l) => l.holder !== holder && l.exp > now)
      || this.queued.overlaps(p, (w) => w.seq < seq && w.caller.sub !== holder));
  }

  private conflictError(paths: string[], holder: string, seq: number, prefix?: string): LeaseConflictError {
    const now = Date.now();
    const conflicts: LeaseConflict[] = [];
    for (const p of paths) {
      for (const { path: leased, entry: l } of this.live.overlapping(p, (x) => x.holder !== holder && x.exp > now, LIMITS.maxConflictsReported)) {
        conflicts.push({ path: p, leased_path: leased, lease_id: l.id, holder: l.holder, expires_at: new Date(l.exp).toISOString() });
      }
    }
    const queuedAhead = new Set(paths.flatMap((p) => this.queued.overlapping(p, (w) => w.seq < seq && w.caller.sub !== holder).map((h) => h.entry))).size;
    const shown = conflicts.slice(0, LIMITS.maxConflictsReported);
    const names = [...new Set(shown.map((c) => c.holder))].join(', ');
    const what = shown.length > 0 ? `leased by ${names}` : `requested earlier by ${queuedAhead} waiting request(s)`;
    return new LeaseConflictError(`${prefix ? `${prefix}: ` : ''}${shown[0]?.path ?? paths[0]} is ${what}`, shown, { queued_ahead: queuedAhead });
  }

  /** Take the lease now (state changes at once, so nothing else can take these paths), then persist it. */
  private async grant(caller: CoordinationCaller, paths: string[], ttlMs: number, reason: string | null, seq: number, waitedMs: number): Promise<LeaseView> {
    const now = Date.now();
    const lease: Lease = { id: newLeaseId(), paths, holder: caller.sub, agentType: caller.agent_type, issueId: caller.issue_id ?? null,
      fence: ++this.fence, at: now, exp: now + ttlMs, reason };
    this.insert(lease);
    const record: LeaseRecord = { t: 'L', id: lease.id, paths, holder: lease.holder, agent_type: lease.agentType, issue_id: lease.issueId, fence: lease.fence, at: lease.at, exp: lease.exp, reason };
    const persisted = this.deps.journal.append(record);
    this.emit('lease_acquired', { ...view(lease), request_seq: seq, waited_ms: waitedMs }, persisted);
    try {
      await persisted;
    } catch (err) {
      // Not durable: nobody may rely on it. The fencing number stays used (never handed out twice).
      if (this.leases.get(lease.id) === lease) this.remove(lease);
      this.pump();
      this.deps.log.warn({ err, lease_id: lease.id }, 'lease grant not persisted');
      throw new StorageWriteError('The lease could not be stored durably');
    }
    return view(lease);
  }

  private expire(id: string): void {
    const lease = this.leases.get(id);
    if (lease) void this.end(lease, 'expired', 'lease_expired').catch(() => undefined);
  }

  /** Remove a lease now, persist that, publish the event, and let waiters in. */
  private async end(lease: Lease, why: string, eventType: 'lease_released' | 'lease_expired'): Promise<void> {
    if (this.leases.get(lease.id) !== lease) return;
    this.remove(lease);
    const persisted = this.deps.journal.append({ t: 'R', id: lease.id, why } satisfies LeaseRecord);
    this.emit(eventType, { ...view(lease), why, ended_at: new Date().toISOString() }, persisted);
    this.pump();
    try {
      await persisted;
    } catch (err) {
      // The lease is gone from memory either way; at the next start it would be found expired.
      this.deps.log.warn({ err, lease_id: lease.id }, 'lease end not persisted');
      throw new StorageWriteError('The release could not be stored durably');
    }
  }

  /** Grant every waiter that nothing blocks any more, oldest first. */
  private pump(): void {
    if (this.closed) return;
    for (const w of this.waiters.values()) {
      if (this.blocked(w.paths, w.caller.sub, w.seq)) continue;
      this.dequeue(w);
      w.resolve(this.grant(w.caller, w.paths, w.ttlMs, w.reason, w.seq, Date.now() - w.enqueuedAt));
    }
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

  private insert(lease: Lease): void {
    this.leases.set(lease.id, lease);
    for (const p of lease.paths) this.live.insert(p, lease);
    let set = this.byHolder.get(lease.holder);
    if (!set) this.byHolder.set(lease.holder, (set = new Set()));
    set.add(lease);
    this.deadlines.schedule(lease.id, lease.exp);
  }

  private remove(lease: Lease): void {
    this.leases.delete(lease.id);
    for (const p of lease.paths) this.live.remove(p, lease);
    const set = this.byHolder.get(lease.holder);
    set?.delete(lease);
    if (set?.size === 0) this.byHolder.delete(lease.holder);
    this.deadlines.cancel(lease.id);
  }

  private async persist(record: LeaseRecord): Promise<void> {
    try {
      await this.deps.journal.append(record);
    } catch (err) {
      this.deps.log.warn({ err }, 'lease record not persisted');
      throw new StorageWriteError('The lease change could not be stored durably');
    }
  }

  /** Events go out in the order the changes happened, each once its record is durable. */
  private emit(eventType: string, data: Record<string, unknown>, persisted: Promise<void>): void {
    this.eventChain = this.eventChain.then(() => persisted).then(() => {
      this.deps.publish({ event_type: eventType, topic: TOPIC, data })
        .catch((err: unknown) => this.deps.log.warn({ err, event_type: eventType }, 'coordination event not published'));
    }, () => undefined);
  }
}
