/**
 * Result store throughput through HTTP, PostgreSQL vs the embedded file tree, in one run on one
 * machine: two real sidecars (each in its own child process) differ only in `results.backend`.
 * The load generator (autocannon) runs in this process.
 *
 * Both are durable before they answer: files fsync the result, its directory and the history
 * move; PostgreSQL commits with `fsync=on` and `synchronous_commit=on` (its WAL is flushed). The
 * throwaway PostgreSQL server runs on this machine too (test/helpers/postgres-server.ts), so on
 * 2 cores it competes with the sidecar for CPU: a lower bound for a separate database host.
 *
 * Scenarios (alternating round by round; medians reported):
 * - `post`: `POST /api/results` rotating over 64 issues with a real agent JWT;
 * - `get_page`: `GET /api/results?issue_id=…&limit=10` once the stores hold those results.
 * Afterwards each store's count (/status) is compared with the 201s the client counted.
 *
 * Run alone: `npx tsc -p . && node dist/bench/results-postgres.js` (prints one JSON line last).
 * Env: BENCH_DURATION_S (default 3), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 16).
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
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ISSUES = 64;

const resultBody = benchResultBody;

// ---- child process: one sidecar on the backend named by BENCH_BACKEND ----

async function serveSidecar(): Promise<void> {
  const { configFor } = await import('../src/config/load-config.js');
  const { startSidecar } = await import('../src/sidecar/start-sidecar.js');
  const { createLogger } = await import('../src/logging/create-logger.js');
  const { defaultPermissionsFor } = await import('../src/auth/permissions.js');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cco-bench-results-pg-'));
  const project = path.join(dir, 'project');
  await fsp.mkdir(project);
  const postgres = process.env.BENCH_BACKEND === 'postgres';
  const config = configFor({
    port: 0,
    log_level: 'silent',
    watch: false,
    project_root: project,
    storage_path: path.join(dir, 'storage'),
    rate_limits: { coding: { points_per_minute: null } },
    results: { backend: postgres ? 'postgres' : 'files' },
    ...(postgres ? { postgres: { url: process.env.BENCH_POSTGRES_URL! } } : {}),
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

// ---- parent: PostgreSQL, the two sidecars, the load ----

interface Served {
  child: ChildProcess;
  url: string;
  token: string;
  adminToken: string;
}

function spawnSidecar(backend: 'files' | 'postgres', postgresUrl: string): Promise<Served> {
  const child = fork(SELF, ['serve-sidecar'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // The URL holds a password: environment, not argv.
    env: { ...process.env, BENCH_BACKEND: backend, BENCH_POSTGRES_URL: postgresUrl },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve({ child, ...(msg as Omit<Served, 'child'>) }));
    child.once('exit', (code) => reject(new Error(`${backend} sidecar exited with ${code}`)));
  });
}

async function stopSidecar(s: Served): Promise<void> {
  const exited = new Promise((resolve) => s.child.once('exit', resolve));
  s.child.send('stop');
  await exited;
}

function post(s: Served, duration: number): Promise<Result> {
  let n = 0;
  return autocannon({
    url: `${s.url}/api/results`,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
        body: resultBody('ISSUE-0'),
        setupRequest: (req) => ({ ...req, body: resultBody(`ISSUE-${n++ % ISSUES}`) }),
      },
    ],
  });
}

function getPage(s: Served, duration: number): Promise<Result> {
  return autocannon({
    url: `${s.url}/api/results?issue_id=ISSUE-3&limit=10`,
    connections: CONNECTIONS,
    duration,
    headers: { authorization: `Bearer ${s.token}` },
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function medianOf(rounds: Result[]): Record<string, unknown> {
  const rps = rounds.map((r) => Math.round(r.requests.average));
  const mid = rounds.find((r) => Math.round(r.requests.average) === median(rps)) as Result;
  return {
    req_per_s: Math.round(mid.requests.average),
    latency_p50_ms: mid.latency.p50,
    latency_p99_ms: mid.latency.p99,
    non_2xx: mid.non2xx,
    errors: mid.errors,
    rounds_req_per_s: rps,
  };
}

async function storedCount(s: Served): Promise<number> {
  const res = await fetch(`${s.url}/status`, { headers: { authorization: `Bearer ${s.adminToken}` } });
  return ((await res.json()) as { storage: { results_stored: number } }).storage.results_stored;
}

async function main(): Promise<void> {
  const { startPostgresServer } = await import('../test/helpers/postgres-server.js');
  const pg = await startPostgresServer({ fsync: true });
  try {
    const url = await pg.createDatabase('cco_bench');
    const files = await spawnSidecar('files', url);
    const postgres = await spawnSidecar('postgres', url);
    await post(files, 1); // warm-up
    await post(postgres, 1);
    await new Promise((r) => setTimeout(r, 500));
    const before = { files: await storedCount(files), postgres: await storedCount(postgres) };
    const runs = { filesPost: [] as Result[], pgPost: [] as Result[], filesGet: [] as Result[], pgGet: [] as Result[] };
    for (let round = 0; round < ROUNDS; round++) {
      runs.filesPost.push(await post(files, DURATION_S));
      runs.pgPost.push(await post(postgres, DURATION_S));
    }
    await new Promise((r) => setTimeout(r, 1_000)); // requests in flight at the client's stop still land
    const after = { files: await storedCount(files), postgres: await storedCount(postgres) };
    for (let round = 0; round < ROUNDS; round++) {
      runs.filesGet.push(await getPage(files, DURATION_S));
      runs.pgGet.push(await getPage(postgres, DURATION_S));
    }
    await stopSidecar(files);
    await stopSidecar(postgres);

    const rps = (rs: Result[]): number => median(rs.map((r) => r.requests.average));
    const ok = (rs: Result[]): number => rs.reduce((n, r) => n + r['2xx'], 0);
    const stored = (delta: number, rs: Result[]): boolean => delta >= ok(rs) && delta - ok(rs) <= ROUNDS * CONNECTIONS;
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'results-postgres',
        connections: CONNECTIONS,
        round_duration_s: DURATION_S,
        rounds: ROUNDS,
        machine: { cpus: os.cpus().length, node: process.version, loadavg_1m_at_end: Number(os.loadavg()[0]?.toFixed(2)) },
        files_post: medianOf(runs.filesPost),
        postgres_post: medianOf(runs.pgPost),
        files_get_page_of_10: medianOf(runs.filesGet),
        postgres_get_page_of_10: medianOf(runs.pgGet),
        ratio_post_postgres_vs_files: Number((rps(runs.pgPost) / rps(runs.filesPost)).toFixed(3)),
        ratio_get_postgres_vs_files: Number((rps(runs.pgGet) / rps(runs.filesGet)).toFixed(3)),
        every_201_stored: stored(after.files - before.files, runs.filesPost) && stored(after.postgres - before.postgres, runs.pgPost),
      })}\n`,
    );
  } finally {
    await pg.destroy();
  }
}

if (process.argv[2] === 'serve-sidecar') await serveSidecar();
else await main();
