/**
 * Extra RSS of 1,000 idle waiters: the server's RSS (after a full GC, measured inside the server
 * process) with 1,000 long-polls pending minus its RSS just before they were opened, for the real
 * sidecar and, for reference, the bare `node:http` long-poll server. The waits come from several
 * client processes (core 1); the server runs on core 0. The first (cold) cycle is reported on its
 * own, then the median of the following (warm) cycles.
 *
 * Run alone: `npx tsc -p . && node dist/bench/events-waiter-memory.js`
 * Env: BENCH_CYCLES (default 3), BENCH_CLIENT_PROCS (default 4).
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { LOAD_CORE, machine, median, pinSelf, round, spawnPinned, startServer, type ServerProcess } from './events-lib/harness.js';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 3);
const PROCS = Number(process.env.BENCH_CLIENT_PROCS ?? 4);
const N = 1000;
const clientFile = fileURLToPath(new URL('./events-lib/fanout-client.js', import.meta.url));

function getJson(url: string, token?: string): Promise<any> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
      })
      .on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waiting(kind: 'sidecar' | 'bare', server: ServerProcess): Promise<number> {
  if (kind === 'bare') return (await getJson(`${server.url}/count`)).waiting as number;
  return (await getJson(`${server.url}/status`, server.tokens![15])).events.active_subscriptions as number;
}

async function cycle(kind: 'sidecar' | 'bare', server: ServerProcess): Promise<{ before: number; during: number; heap: number }> {
  for (let i = 0; (await waiting(kind, server)) > 0; i++) {
    if (i > 2000) throw new Error('waits of the previous cycle did not go away');
    await sleep(5);
  }
  await sleep(200);
  const beforeMem = await server.memory();
  const before = beforeMem.rss;
  const clients: ChildProcess[] = [];
  for (let p = 0; p < PROCS; p++) {
    const share = Math.floor(N / PROCS) + (p < N % PROCS ? 1 : 0);
    clients.push(spawnPinned(clientFile, [kind, server.url, String(share), ...(kind === 'sidecar' ? [server.tokens![p]!] : [])], LOAD_CORE));
  }
  try {
    for (let i = 0; (await waiting(kind, server)) < N; i++) {
      if (i > 3000) throw new Error(`only ${await waiting(kind, server)} of ${N} waits registered`);
      await sleep(10);
    }
    await sleep(300);
    const duringMem = await server.memory();
    return { before, during: duringMem.rss, heap: duringMem.heapUsed - beforeMem.heapUsed };
  } finally {
    for (const c of clients) {
      c.send({ cmd: 'stop' });
      await new Promise((resolve) => c.once('exit', resolve));
    }
  }
}

pinSelf();
const results: Record<string, unknown> = {};
for (const kind of ['bare', 'sidecar'] as const) {
  const server = await startServer(kind === 'bare' ? 'bare-longpoll' : 'sidecar', 'always');
  try {
    // The first cycle is cold (first sockets, JIT, lazily grown heap); later ones reuse what it grew.
    const cold = await cycle(kind, server);
    const extra: number[] = [];
    const heap: number[] = [];
    for (let c = 0; c < CYCLES; c++) {
      const r = await cycle(kind, server);
      extra.push((r.during - r.before) / 2 ** 20);
      heap.push(r.heap / 2 ** 20);
    }
    const key = kind === 'bare' ? 'bare_node_http' : 'sidecar';
    results[key] = {
      cold_extra_rss_mb: round((cold.during - cold.before) / 2 ** 20),
      cold_extra_heap_mb: round(cold.heap / 2 ** 20),
      extra_heap_mb_median: round(median(heap)),
      extra_rss_mb_median: round(median(extra)),
      extra_rss_mb_cycles: extra.map((x) => round(x)),
      per_waiter_kib: round((median(extra) * 1024) / N, 1),
    };
    process.stderr.write(`${key}: ${JSON.stringify(results[key])}\n`);
  } finally {
    await server.stop();
  }
}
console.log(
  JSON.stringify({
    bench: 'events-waiter-memory',
    machine: machine(),
    settings: { waiters: N, cycles: CYCLES, client_processes: PROCS },
    results,
    target: 'sidecar: < 40 MB extra RSS for 1,000 idle waiters',
  }),
);
