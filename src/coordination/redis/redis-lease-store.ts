import { orUnavailable } from './redis-unavailable.js';
import type { ComponentLogger } from '../../logging/component-logger.js';
import { destroyQuietly, duplicateConnection, type RedisClient } from '../../redis/redis-connection.js';
import type { Lease } from '../lease-records.js';
import type { GrantOutcome, GrantRequest, LeaseStore, LeaseStoreListener, StoredConflict } from '../lease-store.js';
import { EXPIRE, GRANT, keyList, leaseKeys, OVERLAP, REMOVE, RENEW, type LeaseKeys } from './lease-scripts.js';
import { RecheckTimer } from './recheck-timer.js';

export interface RedisLeaseStoreOptions {
  client: RedisClient;
  /** To open the subscriber connection; never logged. */
  url: string;
  projectId: string;
  logger?: ComponentLogger;
}

/** A node re-reads the earliest deadline at least this often, so leases granted by a node that died still expire. */
const EXPIRY_RECHECK_MS = 2_000;
const EXPIRE_BATCH = 100;

/** The fixed fields of a lease as stored (fence and expiry are kept apart). */
interface StoredFields {
  id: string;
  paths: string[];
  holder: string;
  agent_type: string;
  issue_id: string | null;
  at: number;
  reason: string | null;
}

function parse(value: string, exp: string | number): Lease {
  const bar = value.indexOf('|');
  const f = JSON.parse(value.slice(bar + 1)) as StoredFields;
  return {
    id: f.id,
    paths: f.paths,
    holder: f.holder,
    agentType: f.agent_type,
    issueId: f.issue_id,
    fence: Number(value.slice(0, bar)),
    at: f.at,
    exp: Number(exp),
    reason: f.reason,
  };
}

/** `{requested, leased, value, expiry}…` of the scripts → conflicts. */
function conflictsOf(flat: unknown[]): StoredConflict[] {
  const out: StoredConflict[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const value = flat[i + 2];
    const exp = flat[i + 3];
    if (typeof value !== 'string' || exp === null || exp === undefined) continue;
    out.push({ path: String(flat[i]), leasedPath: String(flat[i + 1]), lease: parse(value, exp as string) });
  }
  return out;
}

/**
 * Leases shared by every sidecar on one Redis (spec §10). Each change is one Lua script: the
 * grant checks limits, conflicts (path, ancestors, descendants through a lexicographic index) and
 * takes the next fencing token atomically; a removal answers the lease to exactly one caller, so
 * a release or expiry is published once cluster-wide. Expiry: each node arms one timer for the
 * earliest deadline (re-read at least every 2 s) and sweeps what is due; a sweep or release
 * publishes on a channel every node listens to, so queued requests anywhere retry at once.
 */
export class RedisLeaseStore implements LeaseStore {
  private readonly keys: LeaseKeys;
  private listener: LeaseStoreListener | undefined;
  private readonly recheck = new RecheckTimer(EXPIRY_RECHECK_MS, () => void this.sweep());
  private sweeping = false;
  private closed = false;
  private known = { live_leases: 0, fencing_token: 0 };

  private constructor(
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    projectId: string,
    private readonly logger: ComponentLogger | undefined,
  ) {
    this.keys = leaseKeys(projectId);
  }

  static async open(options: RedisLeaseStoreOptions): Promise<RedisLeaseStore> {
    const subscriber = await duplicateConnection(options.client, {
      url: options.url,
      name: `cco-leases-${options.projectId}`,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return new RedisLeaseStore(options.client, subscriber, options.projectId, options.logger);
  }

  async start(listener: LeaseStoreListener): Promise<void> {
    this.listener = listener;
    await this.subscriber.subscribe(this.keys.channel, () => this.freed());
    // After a reconnect messages may have been missed: retry the queue and re-read the deadline.
    this.subscriber.on('ready', () => this.freed());
    await this.sweep();
  }

  async grant(req: GrantRequest): Promise<GrantOutcome> {
    const json = JSON.stringify({
      id: req.id,
      paths: req.paths,
      holder: req.holder,
      agent_type: req.agentType,
      issue_id: req.issueId,
      at: req.at,
      reason: req.reason,
    } satisfies StoredFields);
    const res = (await orUnavailable('Leases', () =>
      GRANT.run(this.client, keyList(this.keys), [
        req.at,
        req.id,
        req.holder,
        req.exp,
        json,
        req.maxLeases,
        req.maxLeasesPerHolder,
        req.maxConflicts,
        ...req.paths,
      ]),
    )) as unknown[];
    const kind = res[0];
    if (kind === 'ok') {
      const fence = Number(res[1]);
      this.known.fencing_token = Math.max(this.known.fencing_token, fence);
      this.known.live_leases++;
      this.recheck.arm(req.exp);
      return {
        ok: true,
        lease: {
          id: req.id,
          paths: req.paths,
          holder: req.holder,
          agentType: req.agentType,
          issueId: req.issueId,
          fence,
          at: req.at,
          exp: req.exp,
          reason: req.reason,
        },
      };
    }
    if (kind === 'conflict') return { ok: false, reason: 'conflict', conflicts: conflictsOf(res.slice(1)) };
    return { ok: false, reason: kind === 'max_leases' ? 'max_leases' : 'max_holder_leases' };
  }

  async renew(id: string, exp: number): Promise<Lease | undefined> {
    const value = await orUnavailable('Leases', () => RENEW.run(this.client, keyList(this.keys), [id, exp, Date.now()]));
    return typeof value === 'string' ? parse(value, exp) : undefined;
  }

  async remove(id: string): Promise<Lease | undefined> {
    const res = (await orUnavailable('Leases', () => REMOVE.run(this.client, keyList(this.keys), [this.keys.channel, id]))) as [string, string] | null;
    if (!res) return undefined;
    this.known.live_leases = Math.max(0, this.known.live_leases - 1);
    return parse(res[0], res[1]);
  }

  async get(id: string): Promise<Lease | undefined> {
    const [value, exp] = await orUnavailable('Leases', () => Promise.all([this.client.hGet(this.keys.leases, id), this.client.zScore(this.keys.expiry, id)]));
    return typeof value === 'string' && exp !== null ? parse(value, exp) : undefined;
  }

  async list(holder?: string): Promise<Lease[]> {
    const [values, expiries] = await orUnavailable('Leases', () =>
      Promise.all([this.client.hGetAll(this.keys.leases), this.client.zRangeWithScores(this.keys.expiry, 0, -1)]),
    );
    const out: Lease[] = [];
    for (const { value: id, score } of expiries) {
      const v = values[id];
      if (v === undefined) continue;
      const lease = parse(v, score);
      if (holder === undefined || lease.holder === holder) out.push(lease);
    }
    this.known.live_leases = out.length;
    return out;
  }

  async overlapping(path: string, now: number, exceptHolder: string | undefined, limit: number): Promise<Array<{ leasedPath: string; lease: Lease }>> {
    const cap = Number.isFinite(limit) ? limit : 1_000_000_000;
    const flat = (await orUnavailable('Leases', () =>
      OVERLAP.run(this.client, keyList(this.keys), [now, exceptHolder === undefined ? '0' : '1', exceptHolder ?? '', cap, path]),
    )) as unknown[];
    return conflictsOf(flat).map((c) => ({ leasedPath: c.leasedPath, lease: c.lease }));
  }

  /** Other nodes may hold leases this one never saw. */
  mayHoldAny(): boolean {
    return true;
  }

  stats(): { live_leases: number; fencing_token: number } {
    return { ...this.known };
  }

  close(): Promise<void> {
    this.closed = true;
    this.recheck.close();
    // The subscriber is this store's own connection: closing it ends its subscriptions.
    destroyQuietly(this.subscriber);
    return Promise.resolve();
  }

  private freed(): void {
    if (this.closed) return;
    this.listener?.freed();
    void this.sweep();
  }

  /** Remove what is due (each expired lease reported by exactly one node), then arm for the next deadline. */
  private async sweep(): Promise<void> {
    if (this.closed || this.sweeping || !this.listener) return;
    this.sweeping = true;
    try {
      for (;;) {
        const flat = (await EXPIRE.run(this.client, keyList(this.keys), [this.keys.channel, Date.now(), EXPIRE_BATCH])) as string[];
        for (let i = 0; i + 1 < flat.length; i += 2) this.listener.expired(parse(flat[i]!, flat[i + 1]!));
        if (flat.length < 2 * EXPIRE_BATCH) break;
      }
      const [next] = await this.client.zRangeWithScores(this.keys.expiry, 0, 0);
      const [count, fence] = await Promise.all([this.client.hLen(this.keys.leases), this.client.get(this.keys.fence)]);
      this.known = { live_leases: count, fencing_token: Math.max(this.known.fencing_token, Number(fence ?? 0)) };
      this.recheck.arm(next ? next.score : Number.POSITIVE_INFINITY, true);
    } catch (err) {
      // Redis away: try again shortly; the conflict check ignores expired leases meanwhile.
      this.logger?.warn({ code: (err as NodeJS.ErrnoException).code ?? 'redis_error' }, 'lease expiry sweep failed');
      this.recheck.arm(Date.now() + 1_000, true);
    } finally {
      this.sweeping = false;
    }
  }
}
