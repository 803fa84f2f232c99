/**
 * SSE fan-out (issue 12 item 6): one publish → the LAST of 1,000 open `GET /api/events/stream`
 * connections has the event, against 1,000 long-poll waiters (`GET /api/events/wait`) on the same
 * sidecar, measured the same way in the same run; and the extra RSS of 1,000 open streams next to
 * that of 1,000 pending long-polls. Server on core 0; clients and the publisher on core 1.
 *
 * Run alone: `npx tsc -p . && node --expose-gc dist/bench/events-sse.js`
 * Env: BENCH_ROUNDS (default 15), BENCH_CLIENT_PROCS (default 4), BENCH_CLIENTS (default 1000).
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { LOAD_CORE, machine, median, pinSelf, round, spawnPinned, startServer, type ServerProcess } from './events-lib/harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const PROCS = Number(process.env.BENCH_CLIENT_PROCS ?? 4);
const N = Number(process.env.BENCH_CLIENTS ?? 1000);
const sseClient = fileURLToPath(new URL('./events-lib/sse-client.js', import.meta.url));
const pollClient = fileURLToPath(new URL('./events-lib/fanout-client.js', import.meta.url));
const agent = new http.Agent({ keepAlive: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function request(url: string, method: string, token: string, body?: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
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

/** Waits registered on the bus: every idle stream and every pending long-poll is one. */
async function waiting(server: ServerProcess): Promise<number> {
  return (await request(`${server.url}/status`, 'GET', server.tokens![15]!)).events.active_subscriptions as number;
}

async function until(server: ServerProcess, n: number, what: string): Promise<void> {
  for (let i = 0; (await waiting(server)) < n; i++) {
    if (i > 3000) throw new Error(`${what}: only ${await waiting(server)} of ${n} registered`);
    await sleep(5);
  }
}

function spawnClients(kind: 'sse' | 'longpoll', server: ServerProcess, received: Map<string, number[]>): ChildProcess[] {
  const clients: ChildProcess[] = [];
  for (let p = 0; p < PROCS; p++) {
    const share = Math.floor(N / PROCS) + (p < N % PROCS ? 1 : 0);
    const token = server.tokens![p]!;
    const child =
      kind === 'sse'
        ? spawnPinned(sseClient, [server.url, String(share), token, 'type=fan&since=now'], LOAD_CORE)
        : spawnPinned(pollClient, ['sidecar', server.url, String(share), token], LOAD_CORE);
    child.on('message', (m: { answers?: Array<{ t: number; id: string }>; error?: string }) => {
      if (m.error) process.stderr.write(`${kind} client: ${m.error}\n`);
      for (const a of m.answers ?? []) {
        let list = received.get(a.id);
        if (!list) received.set(a.id, (list = []));
        list.push(a.t);
      }
    });
    clients.push(child);
  }
  return clients;
}

async function stopClients(clients: ChildProcess[]): Promise<void> {
  for (const c of clients) {
    c.send({ cmd: 'stop' });
    await new Promise((resolve) => c.once('exit', resolve));
  }
}

/** Extra RSS and heap of N open connections of one kind, on a fresh sidecar (after a full GC). */
async function memoryOf(kind: 'sse' | 'longpoll'): Promise<{ rssMb: number; heapMb: number }> {
  const server = await startServer('sidecar', 'always');
  try {
    await sleep(500);
    const before = await server.memory();
    const clients = spawnClients(kind, server, new Map());
    try {
      await until(server, N, kind);
      await sleep(500);
      const during = await server.memory();
      return { rssMb: (during.rss - before.rss) / 2 ** 20, heapMb: (during.heapUsed - before.heapUsed) / 2 ** 20 };
    } finally {
      await stopClients(clients);
    }
  } finally {
    await server.stop();
  }
}

async function measure(kind: 'sse' | 'longpoll', server: ServerProcess): Promise<{ last: number[]; first: number[] }> {
  const received = new Map<string, number[]>();
  const clients = spawnClients(kind, server, received);
  const last: number[] = [];
  const first: number[] = [];
  try {
    for (let r = 0; r < ROUNDS + 1; r++) {
      await until(server, N, kind);
      await sleep(50);
      const t0 = performance.timeOrigin + performance.now();
      const res = await request(`${server.url}/api/events/fan`, 'POST', server.tokens![15]!, JSON.stringify({ data: { round: r } }));
      const id = String(res.event_id);
      for (let i = 0; (received.get(id)?.length ?? 0) < N; i++) {
        if (i > 3000) throw new Error(`${kind}: only ${received.get(id)?.length ?? 0} of ${N} deliveries arrived`);
        await sleep(2);
      }
      const times = received.get(id)!;
      if (r === 0) continue; // warm-up round
      last.push(Math.max(...times) - t0);
      first.push(Math.min(...times) - t0);
    }
  } finally {
    await stopClients(clients);
  }
  return { last, first };
}

pinSelf();
const results: Record<string, unknown> = {};
const medians: Record<string, number> = {};
const memory: Record<string, unknown> = {};
for (const kind of ['longpoll', 'sse'] as const) {
  const m = await memoryOf(kind);
  memory[kind] = { extra_rss_mb_per_1000: round((m.rssMb * 1000) / N), extra_heap_mb_per_1000: round((m.heapMb * 1000) / N) };
  process.stderr.write(`memory ${kind}: ${JSON.stringify(memory[kind])}\n`);
}
const server = await startServer('sidecar', 'always');
try {
  // Long-polls first, then streams, then long-polls again: the ratio uses the mean of both
  // long-poll runs, so a drift of the machine's load during the run does not favour either side.
  for (const [key, kind] of [
    ['longpoll_a', 'longpoll'],
    ['sse', 'sse'],
    ['longpoll_b', 'longpoll'],
  ] as const) {
    const { last, first } = await measure(kind, server);
    medians[key] = median(last);
    results[key] = {
      last_client_ms_p50: round(median(last)),
      last_client_ms_max: round(Math.max(...last)),
      first_client_ms_p50: round(median(first)),
      rounds: last.length,
    };
    process.stderr.write(`${key}: ${JSON.stringify(results[key])}\n`);
    await sleep(1000);
  }
} finally {
  await server.stop();
}
const longpoll = (medians.longpoll_a! + medians.longpoll_b!) / 2;
console.log(
  JSON.stringify({
    bench: 'events-sse',
    machine: machine(),
    settings: { clients: N, rounds: ROUNDS, client_processes: PROCS, sidecar_fsync: 'always' },
    results,
    memory,
    ratio_p50_sse_vs_longpoll: round(medians.sse! / longpoll, 3),
    target: 'SSE median (publish → last of 1,000 streams) ≤ 1.5× the long-poll median in the same run',
  }),
);
