/**
 * Publish throughput: `POST /api/events/:type` on the real sidecar (JWT auth, schema validation,
 * scoping, journal with fsync 'always' = one group-committed fdatasync before each 202, and with
 * fsync 'interval') against two baselines measured in the same run on the same machine: a bare
 * Koa hello-world and a bare Koa + @koa/router + @koa/bodyparser POST that appends to an array.
 * Servers run on core 0, autocannon on core 1; targets alternate over rounds, medians reported.
 *
 * Run alone: `npx tsc -p . && node dist/bench/events-publish-throughput.js`
 * Env: BENCH_ROUNDS (default 3), BENCH_SECONDS (default 8), BENCH_CONNECTIONS (default 50).
 */
import { load } from './events-lib/load.js';
import { machine, median, pinSelf, round, startServer, type ServerProcess } from './events-lib/harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

/** A 300-byte JSON body, as in the baseline measurement of HAZARDS.md. */
function body300(): string {
  const base = { data: { issue_id: 'ISSUE-42', agent_type: 'python-specialist', status: 'success', note: '' } };
  const pad = 300 - JSON.stringify(base).length;
  base.data.note = 'x'.repeat(Math.max(0, pad));
  return JSON.stringify(base);
}

interface Target {
  name: string;
  server: ServerProcess;
  opts: () => Parameters<typeof load>[0];
}

pinSelf();
const body = body300();
const servers = {
  hello: await startServer('koa-hello'),
  post: await startServer('koa-post'),
  always: await startServer('sidecar', 'always'),
  interval: await startServer('sidecar', 'interval'),
};
const json = { 'content-type': 'application/json' };
const auth = (s: ServerProcess) => ({ ...json, authorization: `Bearer ${s.token!}` });
const targets: Target[] = [
  { name: 'koa_hello_world', server: servers.hello, opts: () => ({ url: `${servers.hello.url}/`, connections: CONNECTIONS, duration: SECONDS }) },
  {
    name: 'koa_router_bodyparser_post',
    server: servers.post,
    opts: () => ({ url: `${servers.post.url}/items`, method: 'POST', body, headers: json, connections: CONNECTIONS, duration: SECONDS }),
  },
  {
    name: 'sidecar_publish_fsync_always',
    server: servers.always,
    opts: () => ({
      url: `${servers.always.url}/api/events/bench_event`,
      method: 'POST',
      body,
      headers: auth(servers.always),
      connections: CONNECTIONS,
      duration: SECONDS,
    }),
  },
  {
    name: 'sidecar_publish_fsync_interval',
    server: servers.interval,
    opts: () => ({
      url: `${servers.interval.url}/api/events/bench_event`,
      method: 'POST',
      body,
      headers: auth(servers.interval),
      connections: CONNECTIONS,
      duration: SECONDS,
    }),
  },
];

const rps: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
const p99: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
const cpuPerReq: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
try {
  for (const t of targets) await load({ ...t.opts(), duration: 2 }); // warm-up (JIT, journal file, sockets)
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of targets) {
      const cpuBefore = await t.server.cpuMicros();
      const res = await load(t.opts());
      const cpu = (await t.server.cpuMicros()) - cpuBefore;
      cpuPerReq[t.name]!.push(cpu / res.requests.total);
      rps[t.name]!.push(res.requests.average);
      p99[t.name]!.push(res.latency.p99);
      process.stderr.write(
        `round ${r + 1} ${t.name}: ${Math.round(res.requests.average)} req/s, p99 ${res.latency.p99} ms, ${Math.round(cpu / res.requests.total)} µs CPU/req\n`,
      );
    }
  }
} finally {
  for (const s of Object.values(servers)) await s.stop();
}

const med = (name: string) => median(rps[name]!);
const summary = {
  bench: 'events-publish-throughput',
  machine: machine(),
  settings: { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, body_bytes: body.length },
  req_per_s_median: Object.fromEntries(targets.map((t) => [t.name, Math.round(med(t.name))])),
  latency_p99_ms_median: Object.fromEntries(targets.map((t) => [t.name, median(p99[t.name]!)])),
  req_per_s_rounds: Object.fromEntries(targets.map((t) => [t.name, rps[t.name]!.map(Math.round)])),
  // Server CPU per request is far less sensitive to other load on the machine than wall-clock
  // req/s; on a dedicated core, req/s ≈ 1e6 / (CPU µs per request) for CPU-bound servers.
  server_cpu_us_per_req_median: Object.fromEntries(targets.map((t) => [t.name, round(median(cpuPerReq[t.name]!), 1)])),
  cpu_ratio_koa_post_vs_publish_always: round(median(cpuPerReq.koa_router_bodyparser_post!) / median(cpuPerReq.sidecar_publish_fsync_always!), 3),
  cpu_ratio_koa_post_vs_publish_interval: round(median(cpuPerReq.koa_router_bodyparser_post!) / median(cpuPerReq.sidecar_publish_fsync_interval!), 3),
  ratio_publish_always_vs_koa_post: round(med('sidecar_publish_fsync_always') / med('koa_router_bodyparser_post'), 3),
  ratio_publish_interval_vs_koa_post: round(med('sidecar_publish_fsync_interval') / med('koa_router_bodyparser_post'), 3),
  ratio_koa_post_vs_koa_hello: round(med('koa_router_bodyparser_post') / med('koa_hello_world'), 3),
  target: 'publish (fsync always) >= 0.70 of the bare Koa POST baseline',
};
console.log(JSON.stringify(summary));
