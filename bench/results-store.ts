/**
 * Result store throughput through HTTP with durable writes (temp file, fsync, rename, fsync dir,
 * history move) against a bare Koa + @koa/router + @koa/bodyparser POST that appends to an array,
 * measured in the same run on the same machine. Each server runs in its own child process, the
 * load generator (autocannon) in this one, so they do not share a core's event loop.
 *
 * Scenarios:
 * - `baseline`: the bare Koa POST (same ~300-byte body);
 * - `one_pair`: every request stores for the same (project, issue, agent type): the worst case,
 *   since writes of one pair are serialised;
 * - `spread`: requests rotate over 64 issues (the normal case: many agents, many issues).
 * Every sidecar request carries a real agent JWT and passes auth, validation and scoping.
 * Afterwards the stored count (/status) is compared with the 201s counted by the client.
 *
 * - `read`: `GET /api/results?issue_id=…&limit=10` once the store holds the written results.
 * Scenarios alternate in rounds (default 3 × 4 s each); medians are reported.
 *
 * Run alone: `npx tsc -p . && node dist/bench/results-store.js` (prints one JSON line last).
 * Env: BENCH_DURATION_S (default 4), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 16).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { benchResultBody } from './results-lib/result-body.js';
import { closeOnStop } from './lib/child-sidecar.js';

const SELF = fileURLToPath(import.meta.url);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ISSUES = 64;

const resultBody = benchResultBody;

// ---- child processes: the servers under test ----

async function serveBaseline(): Promise<void> {
  const { default: Koa } = await import('koa');
  const { Router } = await import('@koa/router');
  const { bodyParser } = await import('@koa/bodyparser');
  const app = new Koa();
  const router = new Router();
  const items: unknown[] = [];
  router.post('/api/results', (ctx) => {
    items.push(ctx.request.body);
    ctx.status = 201;
    ctx.body = { id: items.length, stored: true };
  });
  app.use(bodyParser());
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.send?.({ url: `http://127.0.0.1:${port}` });
  });
}

async function serveSidecar(): Promise<void> {
  const { configFor } = await import('../src/config/load-config.js');
  const { startSidecar } = await import('../src/sidecar/start-sidecar.js');
  const { createLogger } = await import('../src/logging/create-logger.js');
  const { defaultPermissionsFor } = await import('../src/auth/permissions.js');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cco-bench-results-'));
  const project = path.join(dir, 'project');
  await fsp.mkdir(project);
  // This measures the store: a coding agent's token is otherwise limited to 60 requests/min (spec §3).
  const config = configFor({
    port: 0,
    log_level: 'silent',
    watch: false,
    project_root: project,
    storage_path: path.join(dir, 'storage'),
    rate_limits: { coding: { points_per_minute: null } },
  });
  const handle = await startSidecar({ config, logger: createLogger({ level: 'silent' }) });
  const agent = await handle.deps.tokens.mint({
    sub: 'bench-agent',
    agent_type: 'python-specialist',
    project_id: config.project_id,
    permissions: defaultPermissionsFor('python-specialist'),
  });
  const admin = await handle.deps.tokens.mint({ sub: 'operator', agent_type: 'operator', project_id: config.project_id, permissions: ['admin'] });
  process.send?.({ url: handle.url, token: agent.token, adminToken: admin.token });
  closeOnStop(handle, dir);
}

// ---- parent: load generator ----

interface Served {
  child: ChildProcess;
  url: string;
  token?: string;
  adminToken?: string;
}

function spawnServer(mode: 'serve-baseline' | 'serve-sidecar'): Promise<Served> {
  const child = fork(SELF, [mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve({ child, ...(msg as Omit<Served, 'child'>) }));
    child.once('exit', (code) => reject(new Error(`${mode} exited with ${code}`)));
  });
}

async function stopServer(s: Served): Promise<void> {
  const exited = new Promise((resolve) => s.child.once('exit', resolve));
  if (s.token) s.child.send('stop');
  else s.child.kill('SIGTERM');
  await exited;
}

async function load(url: string, headers: Record<string, string>, spread: boolean, duration: number): Promise<Result> {
  let n = 0;
  return autocannon({
    url: `${url}/api/results`,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: resultBody('ISSUE-0'),
        ...(spread ? { setupRequest: (req) => ({ ...req, body: resultBody(`ISSUE-${n++ % ISSUES}`) }) } : {}),
      },
    ],
  });
}

function summary(r: Result): Record<string, number> {
  return {
    req_per_s: Math.round(r.requests.average),
    latency_p50_ms: r.latency.p50,
    latency_p99_ms: r.latency.p99,
    latency_max_ms: r.latency.max,
    ok_2xx: r['2xx'],
    non_2xx: r.non2xx,
    errors: r.errors,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Median round of a scenario (by req/s), with every round's req/s for the record. */
function medianOf(rounds: Result[]): Record<string, unknown> {
  const rps = rounds.map((r) => Math.round(r.requests.average));
  const mid = rounds.find((r) => Math.round(r.requests.average) === median(rps)) as Result;
  return { ...summary(mid), rounds_req_per_s: rps };
}

async function main(): Promise<void> {
  // Both servers stay up and the scenarios alternate round by round, so a noisy neighbour on
  // this shared 2-core machine hits the baseline and the store alike; medians are reported.
  const baselineServer = await spawnServer('serve-baseline');
  const sidecar = await spawnServer('serve-sidecar');
  const auth = { authorization: `Bearer ${sidecar.token}` };
  const probe = await fetch(`${sidecar.url}/api/results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: resultBody('PROBE'),
  });
  const probeBody = (await probe.json()) as { event_published?: boolean };
  await load(baselineServer.url, {}, false, 1); // warm-up
  await load(sidecar.url, auth, true, 1);
  await new Promise((r) => setTimeout(r, 1_000)); // let the warm-up's in-flight writes land
  const before = await storedCount(sidecar);

  const runs: Record<'baseline' | 'onePair' | 'spread' | 'read', Result[]> = { baseline: [], onePair: [], spread: [], read: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.baseline.push(await load(baselineServer.url, {}, false, DURATION_S));
    runs.onePair.push(await load(sidecar.url, auth, false, DURATION_S));
    runs.spread.push(await load(sidecar.url, auth, true, DURATION_S));
  }
  // Requests in flight when the client stopped still complete on the server: let them land.
  await new Promise((r) => setTimeout(r, 1_000));
  const after = await storedCount(sidecar);
  for (let round = 0; round < ROUNDS; round++) {
    runs.read.push(
      await autocannon({ url: `${sidecar.url}/api/results?issue_id=ISSUE-0&limit=10`, connections: CONNECTIONS, duration: DURATION_S, headers: auth }),
    );
  }
  await stopServer(baselineServer);
  await stopServer(sidecar);

  const ok = (rs: Result[]): number => rs.reduce((n, r) => n + r['2xx'], 0);
  const base = median(runs.baseline.map((r) => r.requests.average));
  const ratio = (rs: Result[]): number => Number((median(rs.map((r) => r.requests.average)) / base).toFixed(3));
  const out = {
    benchmark: 'results-store',
    connections: CONNECTIONS,
    round_duration_s: DURATION_S,
    rounds: ROUNDS,
    machine: { cpus: os.cpus().length, node: process.version, loadavg_1m_at_end: Number(os.loadavg()[0]?.toFixed(2)) },
    baseline_koa_router_bodyparser_post: medianOf(runs.baseline),
    results_post_one_pair: medianOf(runs.onePair),
    results_post_spread_64_issues: medianOf(runs.spread),
    results_get_page_of_10: medianOf(runs.read),
    ratio_post_one_pair_vs_baseline: ratio(runs.onePair),
    ratio_post_spread_vs_baseline: ratio(runs.spread),
    ratio_get_page_vs_baseline: ratio(runs.read),
    // Every 201 must be a stored result. The store may hold a few more: requests still in flight
    // when the client stopped (at most one per connection per run) complete without being counted.
    stored_delta: after - before,
    client_201s: ok(runs.onePair) + ok(runs.spread),
    every_201_stored: after - before >= ok(runs.onePair) + ok(runs.spread) && after - before - (ok(runs.onePair) + ok(runs.spread)) <= 2 * ROUNDS * CONNECTIONS,
    event_published: probeBody.event_published === true,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function storedCount(s: Served): Promise<number> {
  const res = await fetch(`${s.url}/status`, { headers: { authorization: `Bearer ${s.adminToken}` } });
  return ((await res.json()) as { storage: { results_stored: number } }).storage.results_stored;
}

const mode = process.argv[2];
if (mode === 'serve-baseline') await serveBaseline();
else if (mode === 'serve-sidecar') await serveSidecar();
else await main();
