/**
 * Leases (issue 11, spec §8) on the real sidecar (HTTP, JWT auth, validation, journal with
 * fdatasync before each answer):
 * 1. acquire+release throughput: BENCH_LEASE_CLIENTS clients each acquiring a distinct path and
 *    releasing it, for BENCH_LEASE_PAIRS pairs in all;
 * 2. acquire latency with 10,000 live leases on distinct paths (target p99 < 5 ms): 1,000
 *    sequential acquires of new paths in the same directories, over HTTP and at the service;
 * 3. 119 agents contending for 10 hot files with `wait_ms`, each BENCH_LEASE_ROUNDS times; then,
 *    from the event log alone: no two holders of one path at any instant (every lease_acquired of
 *    a path follows the release/expiry of the previous one) and every grant of a path in arrival
 *    order (request_seq strictly increasing).
 * Client and sidecar share this process (the client's share of the latency is included).
 *
 * Run alone: `npm run build && node dist/bench/leases.js`
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { configFor } from '../src/config/load-config.js';
import { createLogger } from '../src/logging/create-logger.js';
import { startSidecar } from '../src/server/sidecar.js';
import { defaultPermissionsFor } from '../src/auth/permissions.js';
import { AGENT_CATEGORIES } from '../src/util/agent-category.js';
import type { BusEvent } from '../src/events/event-bus.js';

const PAIRS = Number(process.env.BENCH_LEASE_PAIRS ?? 2_000);
const CLIENTS = Number(process.env.BENCH_LEASE_CLIENTS ?? 20);
const LIVE = 10_000;
const SAMPLES = 1_000;
const AGENTS = 119;
const HOT = 10;
const ROUNDS = Number(process.env.BENCH_LEASE_ROUNDS ?? 5);

const dir = await mkdtemp(path.join(os.tmpdir(), 'cco-bench-leases-'));
const unlimited = Object.fromEntries([...AGENT_CATEGORIES, 'admin'].map((c) => [c, { points_per_minute: null }]));
const config = configFor({
  port: 0,
  log_level: 'silent',
  watch: false,
  project_root: path.join(dir, 'project'),
  storage_path: path.join(dir, 'storage'),
  rate_limits: unlimited,
} as never);
// The directories exist (agents lease files of a real tree); the files themselves need not.
const { mkdir } = await import('node:fs/promises');
for (const d of ['tp', 'hot', ...Array.from({ length: 100 }, (_, i) => `d${i}`)]) await mkdir(path.join(config.project_root, d), { recursive: true });
const handle = await startSidecar({ config, logger: createLogger({ level: 'silent' }) });
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const url = new URL(handle.url);

async function token(sub: string): Promise<string> {
  return (
    await handle.deps.tokens.mint({
      sub,
      agent_type: 'python-specialist',
      project_id: config.project_id,
      permissions: defaultPermissionsFor('python-specialist'),
    })
  ).token;
}

function call(method: string, p: string, tok: string, body?: unknown): Promise<{ status: number; body: any }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: p,
        agent,
        headers: {
          authorization: `Bearer ${tok}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function pct(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 1000) / 1000;
}

const r3 = (n: number): number => Math.round(n * 1000) / 1000;
const summary: Record<string, unknown> = { machine: { cpus: os.cpus().length, load1: r3(os.loadavg()[0]!) } };
try {
  // 1. Throughput.
  const tokens = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => token(`tp-${i}`)));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    tokens.map(async (tok) => {
      while (next < PAIRS) {
        const i = next++;
        const got = await call('POST', '/api/leases', tok, { paths: [`tp/${i}.ts`], ttl_seconds: 60 });
        if (got.status !== 201) throw new Error(`acquire ${got.status}`);
        const rel = await call('DELETE', `/api/leases/${got.body.lease_id}`, tok);
        if (rel.status !== 200) throw new Error(`release ${rel.status}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  summary.throughput = { pairs: PAIRS, clients: CLIENTS, pairs_per_second: Math.round(PAIRS / seconds), seconds: r3(seconds) };

  // 2. 119 agents, 10 hot files, wait_ms.
  // Events follow grants asynchronously: let the throughput phase's settle before taking the cursor.
  for (let last = -1; last !== handle.deps.bus.stats().total_published;) {
    last = handle.deps.bus.stats().total_published;
    await new Promise((res) => setTimeout(res, 200));
  }
  const since = (await handle.deps.bus.list({ eventType: '*', since: 'now', limit: 1 })).next_cursor;
  const agentTokens = await Promise.all(Array.from({ length: AGENTS }, (_, i) => token(`agent-${i}`)));
  const waits: number[] = [];
  const t1 = performance.now();
  await Promise.all(
    agentTokens.map(async (tk, a) => {
      for (let r = 0; r < ROUNDS; r++) {
        const t0 = performance.now();
        const got = await call('POST', '/api/leases', tk, { paths: [`hot/file-${(a + r) % HOT}.ts`], ttl_seconds: 30, wait_ms: 60_000 });
        if (got.status !== 201) throw new Error(`contended acquire ${got.status} ${JSON.stringify(got.body)}`);
        waits.push(performance.now() - t0);
        await new Promise((res) => setTimeout(res, 2));
        const rel = await call('DELETE', `/api/leases/${got.body.lease_id}`, tk);
        if (rel.status !== 200) throw new Error(`contended release ${rel.status}`);
      }
    }),
  );
  const contendSeconds = (performance.now() - t1) / 1000;
  const expected = AGENTS * ROUNDS * 2;
  let events: BusEvent[] = [];
  for (let tries = 0; tries < 200; tries++) {
    events = [];
    let cursor = since;
    for (;;) {
      const page = await handle.deps.bus.list({ eventType: '*', topic: 'coordination', since: cursor, limit: 1000 });
      events.push(...page.events.filter((e) => String((e.data.paths as string[] | undefined)?.[0] ?? '').startsWith('hot/')));
      cursor = page.next_cursor;
      if (!page.more_available) break;
    }
    if (events.length >= expected) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const holder = new Map<string, string>();
  const lastSeq = new Map<string, number>();
  let overlaps = 0;
  let outOfOrder = 0;
  let grants = 0;
  for (const e of events) {
    const p = (e.data.paths as string[])[0]!;
    if (e.event_type === 'lease_acquired') {
      grants++;
      if (holder.has(p)) overlaps++;
      holder.set(p, e.data.lease_id as string);
      const seq = e.data.request_seq as number;
      if ((lastSeq.get(p) ?? 0) >= seq) outOfOrder++;
      lastSeq.set(p, seq);
    } else if (holder.get(p) === e.data.lease_id) {
      holder.delete(p);
    }
  }
  waits.sort((a, b) => a - b);
  summary.contention = {
    agents: AGENTS,
    hot_files: HOT,
    rounds: ROUNDS,
    grants,
    events: events.length,
    expected_events: expected,
    overlapping_holders: overlaps,
    grants_out_of_arrival_order: outOfOrder,
    seconds: r3(contendSeconds),
    grants_per_second: Math.round(grants / contendSeconds),
    wait_ms: { p50: pct(waits, 0.5), p99: pct(waits, 0.99), max: pct(waits, 1) },
  };
  // 3. Latency with 10,000 live leases on distinct paths (100 directories × 100 files).
  const leases = handle.deps.coordination.leases;
  const filler = { sub: 'filler', agent_type: 'python-specialist', project_id: config.project_id, permissions: ['write_results', 'admin'] };
  for (let i = 0; i < LIVE; i += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, j) =>
        leases.acquire({ ...filler, sub: `filler-${(i + j) % 50}` }, { paths: [`d${(i + j) % 100}/f${i + j}.ts`], ttl_seconds: 3600 }),
      ),
    );
  }
  const tok = await token('measured');
  const httpMs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    const got = await call('POST', '/api/leases', tok, { paths: [`d${i % 100}/g${i}.ts`], ttl_seconds: 3600 });
    httpMs.push(performance.now() - t0);
    if (got.status !== 201) throw new Error(`acquire ${got.status}`);
  }
  const serviceMs: number[] = [];
  const measured = { sub: 'measured-2', agent_type: 'python-specialist', project_id: config.project_id, permissions: ['write_results'] };
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await leases.acquire(measured, { paths: [`d${i % 100}/h${i}.ts`], ttl_seconds: 3600 });
    serviceMs.push(performance.now() - t0);
  }
  // The conflict check alone (what must not scan every lease): a path under a leased directory tree.
  const checkUs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await leases.leasedBy(`d${i % 100}/f${i}.ts`);
    checkUs.push((performance.now() - t0) * 1000);
  }
  // Baseline in the same run: one 200-byte append + fdatasync, what every grant waits for at least.
  const { open } = await import('node:fs/promises');
  const probe = await open(path.join(dir, 'fsync-probe'), 'a', 0o600);
  const syncMs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await probe.write(Buffer.alloc(200, 0x61));
    await probe.datasync();
    syncMs.push(performance.now() - t0);
  }
  await probe.close();
  syncMs.sort((a, b) => a - b);
  httpMs.sort((a, b) => a - b);
  serviceMs.sort((a, b) => a - b);
  checkUs.sort((a, b) => a - b);
  summary.acquire_with_10k_live = {
    live_leases: leases.stats().live_leases - SAMPLES * 2,
    samples: SAMPLES,
    http_ms: { p50: pct(httpMs, 0.5), p99: pct(httpMs, 0.99), max: pct(httpMs, 1) },
    service_ms: { p50: pct(serviceMs, 0.5), p99: pct(serviceMs, 0.99), max: pct(serviceMs, 1) },
    conflict_check_us: { p50: pct(checkUs, 0.5), p99: pct(checkUs, 0.99) },
    baseline_append_fdatasync_ms: { p50: pct(syncMs, 0.5), p99: pct(syncMs, 0.99), max: pct(syncMs, 1) },
  };
} finally {
  agent.destroy();
  await handle.close();
  await rm(dir, { recursive: true, force: true });
}
process.stderr.write(`${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(summary));
