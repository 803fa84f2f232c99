import { StorageWriteError } from '../errors/index.js';
import type { CoordinationJournal } from './coordination-journal.js';
import { DeadlineTimer } from './deadline-timer.js';
import type { Lease, LeaseRecord } from './lease-records.js';
import type { GrantOutcome, GrantRequest, LeaseStore, LeaseStoreListener, StoredConflict } from './lease-store.js';
import { PathTrie } from './path-trie.js';

/**
 * Leases of one sidecar: in memory, found through a path trie (O(depth) conflict checks, never a
 * scan of every lease), durable in the coordination journal. The fencing counter restarts above
 * the highest number in the journal, and a grant is durable before its holder learns it.
 * Expiry: one timer for the next deadline.
 */
export class EmbeddedLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, Lease>();
  private readonly live = new PathTrie<Lease>();
  private readonly byHolder = new Map<string, Set<Lease>>();
  private readonly deadlines = new DeadlineTimer((id) => this.expire(id));
  private listener: LeaseStoreListener | undefined;
  private fence = 0;

  constructor(
    private readonly journal: CoordinationJournal,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  /** Rebuild state from journal records (at open, before `start`). */
  replay(record: LeaseRecord): void {
    switch (record.t) {
      case 'F':
        this.fence = Math.max(this.fence, record.fence);
        break;
      case 'L': {
        this.fence = Math.max(this.fence, record.fence);
        if (this.leases.has(record.id)) break;
        this.insert({
          id: record.id,
          paths: record.paths,
          holder: record.holder,
          agentType: record.agent_type,
          issueId: record.issue_id,
          fence: record.fence,
          at: record.at,
          exp: record.exp,
          reason: record.reason,
        });
        break;
      }
      case 'N': {
        const l = this.leases.get(record.id);
        if (l) {
          l.exp = record.exp;
          this.deadlines.schedule(l.id, l.exp);
        }
        break;
      }
      case 'R': {
        const l = this.leases.get(record.id);
        if (l) this.drop(l);
        break;
      }
    }
  }

  /** Records that rebuild the current state (compaction). */
  snapshot(): LeaseRecord[] {
    const out: LeaseRecord[] = [{ t: 'F', fence: this.fence }];
    for (const l of this.leases.values()) {
      out.push({
        t: 'L',
        id: l.id,
        paths: l.paths,
        holder: l.holder,
        agent_type: l.agentType,
        issue_id: l.issueId,
        fence: l.fence,
        at: l.at,
        exp: l.exp,
        reason: l.reason,
      });
    }
    return out;
  }

  get size(): number {
    return this.leases.size;
  }

  start(listener: LeaseStoreListener): Promise<void> {
    this.listener = listener;
    // Leases that expired while the sidecar was down expire now (their events published).
    const now = Date.now();
    for (const l of [...this.leases.values()]) if (l.exp <= now) this.expire(l.id);
    return Promise.resolve();
  }

  async grant(req: GrantRequest): Promise<GrantOutcome> {
    this.deadlines.runDue();
    if (this.leases.size >= req.maxLeases) return { ok: false, reason: 'max_leases' };
    if ((this.byHolder.get(req.holder)?.size ?? 0) >= req.maxLeasesPerHolder) return { ok: false, reason: 'max_holder_leases' };
    const conflicts: StoredConflict[] = [];
    for (const p of req.paths) {
      for (const hit of this.live.overlapping(p, (l) => l.holder !== req.holder && l.exp > req.at, req.maxConflicts - conflicts.length)) {
        conflicts.push({ path: p, leasedPath: hit.path, lease: hit.entry });
      }
      if (conflicts.length >= req.maxConflicts) break;
    }
    if (conflicts.length > 0) return { ok: false, reason: 'conflict', conflicts };
    // Taken now (state changes at once, so nothing else can take these paths), then made durable.
    const lease: Lease = {
      id: req.id,
      paths: req.paths,
      holder: req.holder,
      agentType: req.agentType,
      issueId: req.issueId,
      fence: ++this.fence,
      at: req.at,
      exp: req.exp,
      reason: req.reason,
    };
    this.insert(lease);
    try {
      await this.journal.append({
        t: 'L',
        id: lease.id,
        paths: lease.paths,
        holder: lease.holder,
        agent_type: lease.agentType,
        issue_id: lease.issueId,
        fence: lease.fence,
        at: lease.at,
        exp: lease.exp,
        reason: lease.reason,
      });
    } catch (err) {
      // Not durable: nobody may rely on it. The fencing number stays used (never handed out twice).
      if (this.leases.get(lease.id) === lease) this.drop(lease);
      this.listener?.freed();
      this.log.warn({ err, lease_id: lease.id }, 'lease grant not persisted');
      throw new StorageWriteError('The lease could not be stored durably');
    }
    return { ok: true, lease };
  }

  async renew(id: string, exp: number): Promise<Lease | undefined> {
    this.deadlines.runDue();
    const lease = this.leases.get(id);
    if (!lease) return undefined;
    lease.exp = exp;
    this.deadlines.schedule(id, exp);
    await this.persist({ t: 'N', id, exp });
    return lease;
  }

  async remove(id: string, why: string): Promise<Lease | undefined> {
    const lease = this.leases.get(id);
    if (!lease) return undefined;
    // No `freed` here: the core publishes the release first, then lets its waiters in.
    this.drop(lease);
    // The lease is gone from memory either way; at the next start it would be found expired.
    await this.persist({ t: 'R', id, why });
    return lease;
  }

  get(id: string): Promise<Lease | undefined> {
    this.deadlines.runDue();
    return Promise.resolve(this.leases.get(id));
  }

  list(holder?: string): Promise<Lease[]> {
    this.deadlines.runDue();
    return Promise.resolve([...(holder === undefined ? this.leases.values() : (this.byHolder.get(holder) ?? []))]);
  }

  overlapping(path: string, now: number, exceptHolder: string | undefined, limit: number): Promise<Array<{ leasedPath: string; lease: Lease }>> {
    return Promise.resolve(
      this.live.overlapping(path, (l) => l.holder !== exceptHolder && l.exp > now, limit).map((h) => ({ leasedPath: h.path, lease: h.entry })),
    );
  }

  mayHoldAny(): boolean {
    return this.leases.size > 0;
  }

  stats(): { live_leases: number; fencing_token: number } {
    return { live_leases: this.leases.size, fencing_token: this.fence };
  }

  close(): Promise<void> {
    this.deadlines.close();
    return Promise.resolve();
  }

  private expire(id: string): void {
    const lease = this.leases.get(id);
    // Before start (replay) nothing expires: start() sweeps what is overdue.
    if (!lease || !this.listener) return;
    this.drop(lease);
    this.journal.append({ t: 'R', id, why: 'expired' }).catch((err: unknown) => this.log.warn({ err, lease_id: id }, 'lease expiry not persisted'));
    this.listener.expired(lease);
    this.listener.freed();
  }

  private insert(lease: Lease): void {
    this.leases.set(lease.id, lease);
    for (const p of lease.paths) this.live.insert(p, lease);
    let set = this.byHolder.get(lease.holder);
    if (!set) this.byHolder.set(lease.holder, (set = new Set()));
    set.add(lease);
    this.deadlines.schedule(lease.id, lease.exp);
  }

  private drop(lease: Lease): void {
    this.leases.delete(lease.id);
    for (const p of lease.paths) this.live.remove(p, lease);
    const set = this.byHolder.get(lease.holder);
    set?.delete(lease);
    if (set?.size === 0) this.byHolder.delete(lease.holder);
    this.deadlines.cancel(lease.id);
  }

  private async persist(record: LeaseRecord): Promise<void> {
    try {
      await this.journal.append(record);
    } catch (err) {
      this.log.warn({ err }, 'lease record not persisted');
      throw new StorageWriteError('The lease change could not be stored durably');
    }
  }
}
