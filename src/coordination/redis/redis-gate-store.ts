import { orUnavailable } from './redis-unavailable.js';
import type { ComponentLogger } from '../../logging/component-logger.js';
import { destroyQuietly, duplicateConnection, LuaScript, type RedisClient } from '../../redis/redis-connection.js';
import type { GateView } from '../coordination-types.js';
import type { GateStore, GateStoreListener } from '../gate-store.js';
import { RecheckTimer } from './recheck-timer.js';

export interface RedisGateStoreOptions {
  client: RedisClient;
  /** To open the subscriber connection; never logged. */
  url: string;
  projectId: string;
  logger?: ComponentLogger;
}

/** A node re-reads the earliest gate timeout at least this often (a node that armed it may be gone). */
const TIMEOUT_RECHECK_MS = 2_000;

/**
 * Compare-and-set of one gate, its timeout index and the change notice in one step.
 * KEYS: gates timeouts. ARGV: id expected('' = none) new channel timeout-ms('' = not waiting / none).
 */
const PUT = new LuaScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (cur or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1]) else redis.call('ZREM', KEYS[2], ARGV[1]) end
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1
`);

/**
 * Gates shared by every sidecar on one Redis (spec §10): `cco:{<project>}:gates` (id → gate JSON),
 * `…:gates:timeouts` (waiting gates by timeout) and a channel naming each written gate, so a
 * wait on one node answers when another node opens the gate. Timeouts: each node arms one timer
 * for the earliest one and reports what is due; the service's compare-and-set lets one node expire it.
 */
export class RedisGateStore implements GateStore {
  private readonly key: string;
  private readonly timeouts: string;
  private readonly channel: string;
  private listener: GateStoreListener | undefined;
  private readonly recheck = new RecheckTimer(TIMEOUT_RECHECK_MS, () => void this.check());
  private closed = false;
  private known = { gates: 0, waiting_gates: 0 };

  private constructor(
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    projectId: string,
    private readonly logger: ComponentLogger | undefined,
  ) {
    this.key = `cco:{${projectId}}:gates`;
    this.timeouts = `${this.key}:timeouts`;
    this.channel = `${this.key}:changed`;
  }

  static async open(options: RedisGateStoreOptions): Promise<RedisGateStore> {
    const subscriber = await duplicateConnection(options.client, {
      url: options.url,
      name: `cco-gates-${options.projectId}`,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return new RedisGateStore(options.client, subscriber, options.projectId, options.logger);
  }

  async start(listener: GateStoreListener): Promise<void> {
    this.listener = listener;
    await this.subscriber.subscribe(this.channel, (id) => listener.changed(id));
    await this.check();
  }

  async get(gateId: string): Promise<GateView | undefined> {
    const v = await orUnavailable('Gates', () => this.client.hGet(this.key, gateId));
    return typeof v === 'string' ? (JSON.parse(v) as GateView) : undefined;
  }

  async list(issueId?: string): Promise<GateView[]> {
    const all = Object.values(await orUnavailable('Gates', () => this.client.hGetAll(this.key))).map((v) => JSON.parse(v) as GateView);
    this.known = { gates: all.length, waiting_gates: all.filter((g) => g.state === 'waiting').length };
    return issueId === undefined ? all : all.filter((g) => g.issue_id === issueId);
  }

  async put(gate: GateView, expected: GateView | undefined): Promise<boolean> {
    const timeout = gate.state === 'waiting' && gate.expires_at !== null ? String(Date.parse(gate.expires_at)) : '';
    const ok = await orUnavailable('Gates', () =>
      PUT.run(this.client, [this.key, this.timeouts], [gate.gate_id, expected ? JSON.stringify(expected) : '', JSON.stringify(gate), this.channel, timeout]),
    );
    if (ok !== 1) return false;
    if (!expected) this.known.gates++;
    if (timeout !== '') this.recheck.arm(Number(timeout));
    return true;
  }

  async delete(gateId: string): Promise<void> {
    await orUnavailable('Gates', () => Promise.all([this.client.hDel(this.key, gateId), this.client.zRem(this.timeouts, gateId)]));
  }

  stats(): { gates: number; waiting_gates: number } {
    return { ...this.known };
  }

  close(): Promise<void> {
    this.closed = true;
    this.recheck.close();
    // The subscriber is this store's own connection: closing it ends its subscriptions.
    destroyQuietly(this.subscriber);
    return Promise.resolve();
  }

  /** Report the due timeouts, then arm for the next one. */
  private async check(): Promise<void> {
    if (this.closed || !this.listener) return;
    try {
      const now = Date.now();
      for (const id of await this.client.zRangeByScore(this.timeouts, '-inf', now)) this.listener.due(id);
      const [next] = await this.client.zRangeWithScores(this.timeouts, 0, 0);
      this.recheck.arm(next && next.score > now ? next.score : now + TIMEOUT_RECHECK_MS, true);
    } catch (err) {
      this.logger?.warn({ code: (err as NodeJS.ErrnoException).code ?? 'redis_error' }, 'gate timeout check failed');
      this.recheck.arm(Date.now() + 1_000, true);
    }
  }
}
