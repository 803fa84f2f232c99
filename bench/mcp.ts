/**
 * The cost of an MCP tool call against the same request over plain HTTP, in the same run:
 * - `plain`: the HTTP route with fetch (keep-alive, as the SDK's transport uses);
 * - `mcp_http`: the SDK `Client` over Streamable HTTP to `/mcp` (one POST per call);
 * - `mcp_stdio`: the SDK `Client` over stdio to the real `bin/run.js orchestration mcp`, which
 *   forwards to `/mcp`.
 * Operations: `get_context` (warm: cached), `store_result`, `publish_event`. Calls are sequential
 * (one in flight: the latency an agent sees); transports alternate in rounds so a noisy neighbour
 * on this shared machine hits all of them; medians of every call are reported, and the ratio to
 * plain HTTP (target ≤ 1.3 for mcp_http).
 *
 * Then the memory of BENCH_MCP_BRIDGES (default 119: one per agent at max_concurrent_agents)
 * concurrent stdio bridges, each with an initialised client: RSS and PSS summed over the processes.
 *
 * The sidecar runs in a child process. Run alone: `npx tsc -p . && node dist/bench/mcp.js`.
 * Env: BENCH_CALLS (per op, transport and round; default 100), BENCH_ROUNDS (default 3),
 * BENCH_MCP_BRIDGES (default 119; 0 skips the memory part).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { closeOnStop } from './lib/child-sidecar.js';

const SELF = fileURLToPath(import.meta.url);
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const CALLS = Number(process.env.BENCH_CALLS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BRIDGES = Number(process.env.BENCH_MCP_BRIDGES ?? 119);
const ISSUE = 'ISSUE-BENCH';
const AGENT = 'python-specialist';

// ---- child process: the sidecar ----

async function serveSidecar(): Promise<void> {
  const { configFor } = await import('../src/config/load-config.js');
  const { startSidecar } = await import('../src/server/sidecar.js');
  const { createLogger } = await import('../src/logging/create-logger.js');
  const { defaultPermissionsFor } = await import('../src/auth/permissions.js');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cco-bench-mcp-'));
  const project = path.join(dir, 'project');
  await fsp.mkdir(path.join(project, 'src'), { recursive: true });
  for (let i = 0; i < 40; i++) {
    await fsp.writeFile(path.join(project, 'src', `module_${i}.py`), `def handler_${i}(x):\n    return x * ${i}\n`.repeat(20));
  }
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
    agent_type: AGENT,
    project_id: config.project_id,
    permissions: defaultPermissionsFor(AGENT),
    issue_id: ISSUE,
    ttl_seconds: 7200,
  });
  process.send?.({ url: handle.url, token: agent.token, storage: config.storage_path });
  closeOnStop(handle, dir);
}

// ---- parent: the load ----

interface Served {
  child: ChildProcess;
  url: string;
  token: string;
  storage: string;
}

function spawnSidecar(): Promise<Served> {
  const child = fork(SELF, ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve({ child, ...(msg as Omit<Served, 'child'>) }));
    child.once('exit', (code) => reject(new Error(`sidecar exited with ${code}`)));
  });
}

type Op = 'get_context' | 'store_result' | 'publish_event';
const OPS: Op[] = ['get_context', 'store_result', 'publish_event'];
type Transport = 'plain' | 'mcp_http' | 'mcp_stdio';

const RESULT = { status: 'success', files_modified: ['src/module_1.py'], decisions: ['Keep the handler pure'], metrics: { tests_added: 3 } };

function plainCall(s: Served, op: Op): () => Promise<void> {
  const headers = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
  const requests: Record<Op, () => Promise<Response>> = {
    get_context: () => fetch(`${s.url}/api/context/${ISSUE}/${AGENT}?max_files=20`, { headers }),
    store_result: () =>
      fetch(`${s.url}/api/results`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ agent_id: 'bench-agent', agent_type: AGENT, issue_id: ISSUE, result: RESULT }),
      }),
    publish_event: () => fetch(`${s.url}/api/events/bench_tick`, { method: 'POST', headers, body: JSON.stringify({ data: { issue_id: ISSUE, n: 1 } }) }),
  };
  return async () => {
    const res = await requests[op]();
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`${op}: HTTP ${res.status}`);
  };
}

function mcpCall(client: Client, op: Op): () => Promise<void> {
  const args: Record<Op, Record<string, unknown>> = {
    get_context: { max_files: 20 },
    store_result: { result: RESULT },
    publish_event: { event_type: 'bench_tick', data: { issue_id: ISSUE, n: 1 } },
  };
  return async () => {
    const res = await client.callTool({ name: op, arguments: args[op] });
    if (res.isError) throw new Error(`${op}: ${JSON.stringify(res.structuredContent)}`);
  };
}

async function timeCalls(fn: () => Promise<void>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] as number;
};
const round2 = (n: number): number => Math.round(n * 100) / 100;

async function httpClient(s: Served): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', s.url), { requestInit: { headers: { Authorization: `Bearer ${s.token}` } } }));
  return client;
}

async function stdioClient(s: Served): Promise<{ client: Client; pid: number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'orchestration', 'mcp'],
    env: { PATH: process.env.PATH ?? '', SIDECAR_URL: `${s.url}/api`, JWT_TOKEN: s.token },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return { client, pid: transport.pid as number };
}

async function latency(s: Served): Promise<Record<string, unknown>> {
  const http = await httpClient(s);
  const { client: stdio } = await stdioClient(s);
  const calls: Record<Transport, (op: Op) => () => Promise<void>> = {
    plain: (op) => plainCall(s, op),
    mcp_http: (op) => mcpCall(http, op),
    mcp_stdio: (op) => mcpCall(stdio, op),
  };
  const samples: Record<string, number[]> = {};
  // Warm-up: builds the context once (the benchmark measures the warm, cached answer) and JITs.
  for (const t of Object.keys(calls) as Transport[]) for (const op of OPS) await timeCalls(calls[t](op), 10);
  for (let r = 0; r < ROUNDS; r++) {
    for (const op of OPS) {
      for (const t of Object.keys(calls) as Transport[]) (samples[`${op}.${t}`] ??= []).push(...(await timeCalls(calls[t](op), CALLS)));
    }
  }
  await http.close();
  await stdio.close();
  const out: Record<string, unknown> = {};
  for (const op of OPS) {
    const plain = quantile(samples[`${op}.plain`]!, 0.5);
    const row: Record<string, number> = {};
    for (const t of Object.keys(calls) as Transport[]) {
      const median = quantile(samples[`${op}.${t}`]!, 0.5);
      row[`${t}_median_ms`] = round2(median);
      row[`${t}_p95_ms`] = round2(quantile(samples[`${op}.${t}`]!, 0.95));
      if (t !== 'plain') row[`${t}_ratio`] = round2(median / plain);
    }
    out[op] = row;
  }
  return out;
}

async function memoryOf(pid: number): Promise<{ rss_kb: number; pss_kb: number }> {
  const text = await fsp.readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss_kb: field('Rss'), pss_kb: field('Pss') };
}

async function bridgesMemory(s: Served): Promise<Record<string, unknown>> {
  const bridges: Array<{ client: Client; pid: number }> = [];
  const started = Date.now();
  // Started a few at a time: each is a Node process loading the CLI.
  for (let i = 0; i < BRIDGES; i += 8) {
    bridges.push(...(await Promise.all(Array.from({ length: Math.min(8, BRIDGES - i) }, () => stdioClient(s)))));
  }
  const startSeconds = (Date.now() - started) / 1000;
  await Promise.all(bridges.map(({ client }) => client.listTools()));
  const mem = await Promise.all(bridges.map(({ pid }) => memoryOf(pid)));
  const rss = mem.reduce((a, m) => a + m.rss_kb, 0) / 1024;
  const pss = mem.reduce((a, m) => a + m.pss_kb, 0) / 1024;
  await Promise.all(bridges.map(({ client }) => client.close()));
  return {
    bridges: BRIDGES,
    start_all_seconds: round2(startSeconds),
    total_rss_mb: Math.round(rss),
    total_pss_mb: Math.round(pss),
    per_bridge_rss_mb: round2(rss / BRIDGES),
    per_bridge_pss_mb: round2(pss / BRIDGES),
  };
}

async function main(): Promise<void> {
  const s = await spawnSidecar();
  try {
    const calls = await latency(s);
    const memory = BRIDGES > 0 ? await bridgesMemory(s) : { skipped: true };
    console.log(JSON.stringify({ calls_per_op_transport: CALLS * ROUNDS, latency: calls, stdio_bridges: memory }));
  } finally {
    const exited = new Promise((resolve) => s.child.once('exit', resolve));
    s.child.send('stop');
    await exited;
  }
}

if (process.argv[2] === 'serve') await serveSidecar();
else await main();
