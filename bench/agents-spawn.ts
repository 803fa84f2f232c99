/**
 * Agents benchmark (issue 4), runnable alone: `node dist/bench/agents-spawn.js`.
 *
 * Starts a real sidecar in its own process (`cco orchestration start`, port 0, temp storage and a
 * generated project), then measures:
 * 1. spawn-to-running: for N sequential spawns of a minimal agent, the time until `POST
 *    /api/agents/spawn` answers 201 `running` (the process exists), and until the agent's own
 *    first line of code runs (it prints Date.now(), read back from its log);
 * 2. the full flow: 119 example agents (examples/example-agent.mjs: context → result → event)
 *    spawned at once; all must complete; wall time from the first spawn to the last exit; the
 *    latency of a probe request (`GET /status`) sent every 25 ms during the run (p50/p99/max),
 *    and the sidecar's own p99 from /status.
 *
 * Prints one JSON object on the last stdout line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signLocalToken } from '../src/cli/operator-token.js';
import { PERMISSIONS, type Permission } from '../src/auth/permissions.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(repo, 'bin', 'run.js');
const EXAMPLE = path.join(repo, 'examples', 'example-agent.mjs');
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 40);
const FLOW_AGENTS = Number(process.env.BENCH_FLOW_AGENTS ?? 119);
/** Unset: the sidecar's default `agent_nice`; set to compare (e.g. 0 = agents at the sidecar's priority). */
const AGENT_NICE = process.env.BENCH_AGENT_NICE === undefined ? undefined : Number(process.env.BENCH_AGENT_NICE);

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(values: number[]): { n: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 100) / 100;
  return {
    n: s.length,
    p50: r(pct(s, 50)),
    p95: r(pct(s, 95)),
    p99: r(pct(s, 99)),
    max: r(s[s.length - 1] ?? 0),
    mean: r(s.reduce((a, b) => a + b, 0) / (s.length || 1)),
  };
}

async function makeProject(root: string): Promise<void> {
  // A small but real project: 60 Python files, some with TODO markers, plus a manifest.
  await mkdir(path.join(root, 'src', 'pkg'), { recursive: true });
  await writeFile(path.join(root, 'pyproject.toml'), '[project]\nname = "bench-project"\nversion = "0.1.0"\n');
  for (let i = 0; i < 60; i++) {
    const body = [
      `"""Module ${i}."""`,
      'import os',
      '',
      `def handler_${i}(request):`,
      i % 5 === 0 ? `    # TODO: validate request ${i}` : '    pass',
      `    return {"module": ${i}, "cwd": os.getcwd()}`,
      '',
    ].join('\n');
    await writeFile(path.join(root, 'src', 'pkg', `module_${i}.py`), body.repeat(8));
  }
  await mkdir(path.join(root, '.cco'));
  await writeFile(
    path.join(root, '.cco', 'orchestration.json'),
    JSON.stringify({
      max_concurrent_agents: 119,
      ...(AGENT_NICE === undefined ? {} : { agent_nice: AGENT_NICE }),
      agents: {
        'python-specialist': { command: process.execPath, args: [EXAMPLE], timeout_seconds: 600 },
        'probe-engineer': { command: process.execPath, args: ['-e', 'console.log(Date.now())'], timeout_seconds: 60 },
      },
    }),
  );
}

async function startSidecarProcess(project: string, storage: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'orchestration', 'start', '--port', '0', '--project', project, '--no-watch', '--log-level', 'warn'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CCO_SIDECAR_STORAGE: storage },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  child.stdout?.resume();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const state = await readFile(path.join(storage, 'sidecar.json'), 'utf8').catch(() => '');
    if (state) {
      const { url, pid } = JSON.parse(state) as { url: string; pid: number };
      if (pid === child.pid) return { child, url };
    }
    if (child.exitCode !== null) throw new Error(`sidecar exited: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sidecar did not start: ${err}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cco-bench-agents-'));
  const project = path.join(dir, 'bench-project');
  const storage = path.join(dir, 'storage');
  await mkdir(project);
  await makeProject(project);
  const { child, url } = await startSidecarProcess(project, storage);
  const { token } = await signLocalToken(
    { storagePath: storage },
    {
      sub: 'bench-operator',
      agent_type: 'operator',
      permissions: [...PERMISSIONS] as Permission[],
      ttl_seconds: 3600,
    },
  );
  const call = async (method: string, p: string, body?: unknown): Promise<{ status: number; body: any; ms: number }> => {
    const t0 = performance.now();
    const res = await fetch(url + p, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : null,
    });
    const json = await res.json().catch(() => null);
    return { status: res.status, body: json, ms: performance.now() - t0 };
  };
  const waitAllEnded = async (issue: string, n: number): Promise<any[]> => {
    for (;;) {
      const list = await call('GET', `/api/agents?issue_id=${issue}&limit=1000`);
      const agents = list.body.agents as any[];
      if (agents.length >= n && agents.every((a) => !['queued', 'running'].includes(a.status))) return agents;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  try {
    // 1. spawn-to-running, sequential so each measures one spawn alone.
    const http201: number[] = [];
    const toFirstLine: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const wall0 = Date.now();
      const res = await call('POST', '/api/agents/spawn', { agent_type: 'probe-engineer', issue_id: 'BENCH-LAT', task: `probe ${i}` });
      if (res.status !== 201 || res.body.status !== 'running') throw new Error(`spawn failed: ${JSON.stringify(res.body)}`);
      http201.push(res.ms);
      for (;;) {
        const st = await call('GET', `/api/agents/${res.body.agent_id}/status`);
        if (!['queued', 'running'].includes(st.body.status)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const logs = await call('GET', `/api/agents/${res.body.agent_id}/logs?tail=1`);
      toFirstLine.push(Number(logs.body.lines[0]) - wall0);
    }

    // 2. full flow with FLOW_AGENTS example agents at once.
    const probeContext = await call('GET', '/api/context/BENCH-FLOW/python-specialist?max_bytes=1024');
    const probeResults = await call('GET', '/api/results?limit=1');
    const flowRoutes = { context: probeContext.status, results: probeResults.status };
    const probeLatency: number[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        probeLatency.push((await call('GET', '/status')).ms);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const loadBefore = os.loadavg()[0] ?? 0;
    const t0 = Date.now();
    const spawns = await Promise.all(
      Array.from({ length: FLOW_AGENTS }, (_, i) =>
        call('POST', '/api/agents/spawn', {
          agent_type: 'python-specialist',
          issue_id: 'BENCH-FLOW',
          task: `review slice ${i}`,
        }),
      ),
    );
    const spawnedAt = Date.now();
    const agents = await waitAllEnded('BENCH-FLOW', FLOW_AGENTS);
    probing = false;
    await prober;
    const lastEnd = Math.max(...agents.map((a) => Date.parse(a.ended_at)));
    const byStatus: Record<string, number> = {};
    for (const a of agents) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    const status = await call('GET', '/status');
    const results = await call('GET', '/api/results?issue_id=BENCH-FLOW&limit=1000');
    const published = await call('GET', '/api/events?type=task_completed&limit=1000');
    const failedSample = agents.find((a) => a.status !== 'completed');
    let failedStderr: string[] = [];
    if (failedSample) failedStderr = (await call('GET', `/api/agents/${failedSample.agent_id}/logs?stream=stderr&tail=3`)).body.lines;
    const flow: Record<string, unknown> = {
      agents: FLOW_AGENTS,
      agent_nice: AGENT_NICE ?? 'default (19)',
      // Other work on the machine skews every figure: the 1-minute load average around the run.
      load_average_1m: { before: Math.round(loadBefore * 10) / 10, after: Math.round((os.loadavg()[0] ?? 0) * 10) / 10 },
      spawn_answers: summary(spawns.map((s) => s.ms)),
      spawn_statuses: spawns.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s.status]: (acc[s.status] ?? 0) + 1 }), {}),
      all_spawned_ms: spawnedAt - t0,
      by_status: byStatus,
      all_completed: byStatus.completed === FLOW_AGENTS,
      wall_time_ms: lastEnd - t0,
      agent_duration_ms: summary(agents.map((a) => a.duration_ms ?? 0)),
      results_stored: Array.isArray(results.body?.results) ? results.body.results.length : null,
      completion_events: Array.isArray(published.body?.events) ? published.body.events.filter((e: any) => e.data?.issue_id === 'BENCH-FLOW').length : null,
      probe_status_latency_ms: summary(probeLatency),
      sidecar_reported: status.body.performance,
      agents_section: status.body.agents,
      routes_probe: flowRoutes,
      ...(failedSample ? { failed_sample_stderr: failedStderr } : {}),
    };

    const out = {
      benchmark: 'agents',
      machine: { cpus: os.cpus().length, node: process.version },
      spawn_to_running: {
        samples: LATENCY_SAMPLES,
        http_201_ms: summary(http201),
        to_agent_first_line_ms: summary(toFirstLine),
      },
      full_flow: flow,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
