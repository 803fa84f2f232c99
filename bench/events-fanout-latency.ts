/**
 * Fan-out latency: one publish → the LAST of N blocked waiters answered, N = 119 and 1,000, with
 * the waiting clients spread over several processes, on the real sidecar (auth, validation,
 * journal with fsync 'always' before the wake-up) and on a bare `node:http` long-poll server that
 * writes one pre-serialised body to every held response, measured the same way in the same run.
 * Server on core 0; clients and the publisher on core 1. Each round: wait until all N waits are
 * registered, take t0, publish, and collect every receive time from the client processes.
 *
 * Run alone: `npx tsc -p . && node dist/bench/events-fanout-latency.js`
 * Env: BENCH_ROUNDS (default 15), BENCH_CLIENT_PROCS (default 4).
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { LOAD_CORE, machine, median, pinSelf, round, spawnPinned, startServer, type ServerProcess } from './events-lib/harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const PROCS = Number(process.env.BENCH_CLIENT_PROCS ?? 4);
const WAITERS = [119, 1000];
const clientFile = fileURLToPath(new URL('./events-lib/fanout-client.js', import.meta.url));
const agent = new http.Agent({ keepAlive: true });

function request(url: string, method: string, body?: string, token?: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`));
        else resolve(text ? JSON.parse(text) : undefined);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waiting(kind: 'sidecar' | 'bare', server: ServerProcess): Promise<number> {
  if (kind === 'bare') return (await request(`${server.url}/count`, 'GET')).waiting as number;
  return (await request(`${server.url}/status`, 'GET', undefined, server.tokens![15])).events.active_subscriptions as number;
}

async function measure(kind: 'sidecar' | 'bare', server: ServerProcess, n: number): Promise<{ last: number[]; first: number[] }> {
  const received = new Map<string, number[]>();
  const clients: ChildProcess[] = [];
  for (let p = 0; p < PROCS; p++) {
    const share = Math.floor(n / PROCS) + (p < n % PROCS ? 1 : 0);
    const child = spawnPinned(clientFile, [kind, server.url, String(share), ...(kind === 'sidecar' ? [server.tokens![p]!] : [])], LOAD_CORE);
    child.on('message', (m: { answers?: Array<{ t: number; id: string }> }) => {
      for (const a of m.answers ?? []) {
        let list = received.get(a.id);
        if (!list) received.set(a.id, (list = []));
        list.push(a.t);
      }
    });
    clients.push(child);
  }
  const last: number[] = [];
  const first: number[] = [];
  try {
    for (let r = 0; r < ROUNDS + 1; r++) {
      for (let i = 0; (await waiting(kind, server)) < n; i++) {
        if (i > 3000) throw new Error(`${kind}: only ${await waiting(kind, server)} of ${n} waits registered`);
        await sleep(5);
      }
      await sleep(50);
      const t0 = performance.timeOrigin + performance.now();
      const res =
        kind === 'bare'
          ? await request(`${server.url}/publish`, 'POST', JSON.stringify({ round: r }))
          : await request(`${server.url}/api/events/fan`, 'POST', JSON.stringify({ data: { round: r } }), server.tokens![15]);
      const id = String(res.event_id);
      for (let i = 0; (received.get(id)?.length ?? 0) < n; i++) {
        if (i > 3000) throw new Error(`${kind}: only ${received.get(id)?.length ?? 0} of ${n} answers arrived`);
        await sleep(2);
      }
      const times = received.get(id)!;
      if (r === 0) continue; // warm-up round
      last.push(Math.max(...times) - t0);
      first.push(Math.min(...times) - t0);
    }
  } finally {
    for (const c of clients) {
      c.send({ cmd: 'stop' });
      await new Promise((resolve) => c.once('exit', resolve));
    }
  }
  return { last, first };
}

pinSelf();
const results: Record<string, unknown> = {};
const medians: Record<string, number> = {};
const variants = [
  { key: 'bare_node_http', kind: 'bare' as const, args: ['bare-longpoll'] },
  { key: 'sidecar', kind: 'sidecar' as const, args: ['sidecar', 'always'] },
  // Same without the fsync before the wake-up: shows what the durability guarantee costs.
  { key: 'sidecar_fsync_interval', kind: 'sidecar' as const, args: ['sidecar', 'interval'] },
];
for (const { key: name, kind, args } of variants) {
  const server = await startServer(args[0]!, ...args.slice(1));
  try {
    for (const n of WAITERS) {
      const { last, first } = await measure(kind, server, n);
      const key = `${name}_${n}`;
      medians[key] = median(last);
      results[key] = {
        last_waiter_ms_p50: round(median(last)),
        last_waiter_ms_max: round(Math.max(...last)),
        first_waiter_ms_p50: round(median(first)),
        rounds: last.length,
      };
      process.stderr.write(`${key}: ${JSON.stringify(results[key])}\n`);
      // Let the server settle (freed sockets, GC) before the next size.
      await sleep(500);
    }
  } finally {
    await server.stop();
  }
}
console.log(
  JSON.stringify({
    bench: 'events-fanout-latency',
    machine: machine(),
    settings: { rounds: ROUNDS, client_processes: PROCS, sidecar_fsync: 'always (sidecar_fsync_interval: interval)' },
    results,
    ratio_p50_sidecar_vs_bare_119: round(medians.sidecar_119! / medians.bare_node_http_119!, 3),
    ratio_p50_sidecar_vs_bare_1000: round(medians.sidecar_1000! / medians.bare_node_http_1000!, 3),
    target: 'sidecar median within 1.5x of the bare node:http long-poll server at 1,000 waiters',
  }),
);
