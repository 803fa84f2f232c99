/**
 * The event bus on Redis against the embedded one, in one run on one machine:
 * 1. publish throughput: `POST /api/events/:type` on the real sidecar (auth, validation, audit,
 *    rate-limit check) with the embedded journal (fsync 'always') vs on Redis (appendonly,
 *    appendfsync everysec); servers on core 0, autocannon on core 1, median req/s over rounds;
 *    and the same at the bus level (no HTTP, in one process: 50 concurrent publishers);
 * 2. one publish waking 1,000 blocked waits: spread over two nodes on one Redis vs all on one
 *    embedded node (bus level, in one process), median time until the last wait is answered;
 * 3. recovery after a Redis restart: from the server answering PING again to the first accepted
 *    publish and to the bus reporting 'ok'.
 *
 * Run alone: `npx tsc -p . && node dist/bench/events-redis.js`
 * Env: BENCH_ROUNDS (default 3), BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 50).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../src/config/load-config.js';
import { EmbeddedEventBus, journalDir } from '../src/events/embedded-event-bus.js';
import type { EventBus } from '../src/events/event-bus.js';
import { RedisEventBus } from '../src/events/redis-event-bus.js';
import { RedisServer } from '../test/helpers/redis-server.js';
import { load } from './events-lib/load.js';
import { machine, median, pinSelf, round, startServer } from './events-lib/harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WAITERS = 1000;

const redis = await RedisServer.start({ appendonly: true });
const events = configFor({ project_root: '/nonexistent', storage_path: '/nonexistent', events: { max_waits_total: 20_000 } }).events;

async function publishThroughput(): Promise<Record<string, unknown>> {
  pinSelf();
  const body = JSON.stringify({ data: { issue_id: 'ISSUE-42', status: 'success', note: 'x'.repeat(200) } });
  const servers = {
    embedded: await startServer('sidecar', 'always'),
    redis: await startServer('sidecar', 'always', redis.url, `bench-${randomUUID()}`),
  };
  const rps: Record<string, number[]> = { embedded: [], redis: [] };
  const p99: Record<string, number[]> = { embedded: [], redis: [] };
  try {
    const opts = (name: 'embedded' | 'redis') => ({
      url: `${servers[name].url}/api/events/bench_event`,
      method: 'POST' as const,
      body,
      connections: CONNECTIONS,
      duration: SECONDS,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${servers[name].token!}` },
    });
    for (const name of ['embedded', 'redis'] as const) await load({ ...opts(name), duration: 2 });
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of ['embedded', 'redis'] as const) {
        const res = await load(opts(name));
        rps[name]!.push(res.requests.average);
        p99[name]!.push(res.latency.p99);
        process.stderr.write(`round ${r + 1} publish ${name}: ${Math.round(res.requests.average)} req/s, p99 ${res.latency.p99} ms, non-2xx ${res.non2xx}\n`);
      }
    }
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
  return {
    req_per_s_median: { embedded_fsync_always: Math.round(median(rps.embedded!)), redis_appendonly_everysec: Math.round(median(rps.redis!)) },
    latency_p99_ms_median: { embedded_fsync_always: median(p99.embedded!), redis_appendonly_everysec: median(p99.redis!) },
    ratio_redis_vs_embedded: round(median(rps.redis!) / median(rps.embedded!), 3),
  };
}

async function busPublishRate(bus: EventBus): Promise<number> {
  const total = 6000;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next++ < total) await bus.publish({ event_type: 'bench', publisher: 'bench', data: { note: 'x'.repeat(200) } });
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

async function busPublish(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cco-bench-redis-'));
  const embedded = await EmbeddedEventBus.open({ events, dir: journalDir(dir) });
  const onRedis = await RedisEventBus.open({ events, url: redis.url, projectId: `bench-${randomUUID()}` });
  const rates: Record<string, number[]> = { embedded: [], redis: [] };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      rates.embedded!.push(await busPublishRate(embedded));
      rates.redis!.push(await busPublishRate(onRedis));
    }
  } finally {
    await Promise.all([embedded.close(), onRedis.close()]);
    await rm(dir, { recursive: true, force: true });
  }
  return {
    events_per_s_median: { embedded_fsync_always: Math.round(median(rates.embedded!)), redis_appendonly_everysec: Math.round(median(rates.redis!)) },
    ratio_redis_vs_embedded: round(median(rates.redis!) / median(rates.embedded!), 3),
  };
}

/** ms from the publish call until every one of the waits (already blocked) is answered. */
async function wakeAll(publisher: EventBus, nodes: EventBus[]): Promise<number> {
  const waits: Array<Promise<unknown>> = [];
  for (let i = 0; i < WAITERS; i++) {
    waits.push(nodes[i % nodes.length]!.wait({ eventType: 'wake', subscriberId: `w-${i}`, since: 'now', timeoutMs: 30_000 }));
  }
  const blocked = () => nodes.reduce((n, b) => n + b.stats().active_subscriptions, 0);
  while (blocked() < WAITERS) await new Promise((r) => setTimeout(r, 5));
  const started = performance.now();
  await publisher.publish({ event_type: 'wake', publisher: 'bench' });
  await Promise.all(waits);
  return performance.now() - started;
}

async function fanout(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cco-bench-redis-'));
  const embedded = await EmbeddedEventBus.open({ events, dir: journalDir(dir) });
  const projectId = `bench-${randomUUID()}`;
  const a = await RedisEventBus.open({ events, url: redis.url, projectId });
  const b = await RedisEventBus.open({ events, url: redis.url, projectId });
  const times: Record<string, number[]> = { embedded: [], redis: [] };
  try {
    for (let r = 0; r < 7; r++) {
      times.embedded!.push(await wakeAll(embedded, [embedded]));
      times.redis!.push(await wakeAll(a, [a, b]));
    }
  } finally {
    await Promise.all([embedded.close(), a.close(), b.close()]);
    await rm(dir, { recursive: true, force: true });
  }
  const med = (k: string) => median(times[k]!);
  return {
    waiters: WAITERS,
    wake_all_ms_median: { embedded_one_node: round(med('embedded')), redis_two_nodes: round(med('redis')) },
    wake_all_ms_rounds: { embedded_one_node: times.embedded!.map((t) => round(t)), redis_two_nodes: times.redis!.map((t) => round(t)) },
    ratio_redis_vs_embedded: round(med('redis') / med('embedded'), 2),
    target_ratio_at_most: 2,
  };
}

async function restartRecovery(): Promise<Record<string, unknown>> {
  const bus = await RedisEventBus.open({ events, url: redis.url, projectId: `bench-${randomUUID()}` });
  const toPublish: number[] = [];
  const toOk: number[] = [];
  try {
    await bus.publish({ event_type: 'before', publisher: 'bench' });
    for (let r = 0; r < 3; r++) {
      await redis.halt();
      await new Promise((res) => setTimeout(res, 500));
      await redis.resume();
      const back = performance.now();
      let published = 0;
      let ok = 0;
      while (!published || !ok) {
        if (!ok && bus.health() === 'ok') ok = performance.now() - back;
        if (!published) {
          try {
            await bus.publish({ event_type: 'after', publisher: 'bench' });
            published = performance.now() - back;
          } catch {
            // still reconnecting
          }
        }
        await new Promise((res) => setTimeout(res, 5));
      }
      toPublish.push(published);
      toOk.push(ok);
    }
  } finally {
    await bus.close();
  }
  return {
    first_publish_after_redis_ready_ms: { median: round(median(toPublish)), rounds: toPublish.map((t) => round(t)) },
    health_ok_after_redis_ready_ms: { median: round(median(toOk)), rounds: toOk.map((t) => round(t)) },
  };
}

try {
  const publish = await publishThroughput();
  const busLevel = await busPublish();
  const wake = await fanout();
  const recovery = await restartRecovery();
  console.log(
    JSON.stringify({
      bench: 'events-redis',
      machine: machine(),
      redis: 'redis-server 7, loopback, appendonly yes, appendfsync everysec',
      settings: { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS },
      publish_http: publish,
      publish_bus: busLevel,
      wake,
      recovery,
    }),
  );
} finally {
  await redis.stop();
}
