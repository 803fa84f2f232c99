import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFor } from '../../src/config/load-config.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { AgentSupervisor, type AgentSupervisorDeps } from '../../src/agents/agent-supervisor.js';
import type { AgentLifecycleEvent, ChildTokenRequest, SpawnCaller } from '../../src/agents/types.js';
import { listGroupMembers } from '../../src/agents/proc-stat.js';

/** The example agent shipped in examples/, resolved from dist/test/agents/. */
export const EXAMPLE_AGENT = fileURLToPath(new URL('../../../examples/example-agent.mjs', import.meta.url));

/**
 * One Node script that plays every agent the tests need, chosen by its first argument:
 * - `report <out>`: write {argv, env, cwd, context file mode and content} as JSON to <out>
 * - `exit <code>`: print a line to each stream and exit with <code>
 * - `sleep <ms>`: sleep
 * - `stubborn <ms> <pidfile>`: ignore SIGTERM, start two grandchildren that ignore it too, write
 *   all pids to <pidfile>, sleep
 * - `escape <ms> <pidfile>`: start a child in its own session that ignores SIGTERM, write its pid, sleep
 * - `spam <bytes>`: write that many bytes to stdout, then exit 0
 */
export const FIXTURE_AGENT = `
import { writeFileSync, statSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
const [mode, a, b] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
if (mode === 'report') {
  const cf = process.env.CONTEXT_FILE;
  const st = statSync(cf);
  writeFileSync(a, JSON.stringify({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd(),
    context_mode: st.mode & 0o777, context: JSON.parse(readFileSync(cf, 'utf8')),
    nice: Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[16]),
    autogroup: (() => { try { return readFileSync('/proc/self/autogroup', 'utf8').trim(); } catch { return 'none'; } })() }));
} else if (mode === 'exit') {
  console.log('out line'); console.error('err line');
  process.exitCode = Number(a ?? 0);
} else if (mode === 'sleep') {
  await sleep(Number(a));
} else if (mode === 'stubborn') {
  process.on('SIGTERM', () => {});
  const kids = [0, 1].map(() => spawn(process.execPath, ['-e', "process.on('SIGTERM',()=>{}); setInterval(()=>{}, 1000)"], { stdio: 'ignore' }));
  writeFileSync(b, JSON.stringify([process.pid, ...kids.map((k) => k.pid)]));
  await sleep(Number(a));
} else if (mode === 'escape') {
  // A descendant in its own session (setsid): out of the agent's process group, ignoring SIGTERM.
  const kid = spawn(process.execPath, ['-e', "process.on('SIGTERM',()=>{}); setInterval(()=>{}, 1000)"], { stdio: 'ignore', detached: true });
  kid.unref();
  writeFileSync(b, JSON.stringify([kid.pid]));
  await sleep(Number(a));
} else if (mode === 'spam') {
  const chunk = Buffer.alloc(4096, 0x61);
  let left = Number(a);
  while (left > 0) { const n = Math.min(left, chunk.length); process.stdout.write(chunk.subarray(0, n)); left -= n; }
}
`;

export interface Harness {
  dir: string;
  root: string;
  storage: string;
  fixture: string;
  events: AgentLifecycleEvent[];
  minted: ChildTokenRequest[];
  make(overrides?: Partial<ConfigInput>, deps?: Partial<AgentSupervisorDeps>): AgentSupervisor;
  cleanup(): Promise<void>;
}

/** A temp project root + storage, the fixture agent, and a factory for supervisors. */
export async function createHarness(): Promise<Harness> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cco-agents-'));
  const root = path.join(dir, 'project');
  const storage = path.join(dir, 'storage');
  await fsp.mkdir(root);
  const fixture = path.join(dir, 'fixture-agent.mjs');
  await fsp.writeFile(fixture, FIXTURE_AGENT);
  const events: AgentLifecycleEvent[] = [];
  const minted: ChildTokenRequest[] = [];
  const supervisors: AgentSupervisor[] = [];
  return {
    dir,
    root,
    storage,
    fixture,
    events,
    minted,
    make(overrides = {}, deps = {}) {
      const config = configFor({
        project_root: root,
        storage_path: storage,
        project_id: 'proj',
        agent_kill_grace_seconds: 0.3,
        // Other test suites share these 2 cores: niced agents would start seconds late under load.
        agent_nice: 0,
        agents: { 'fixture-agent': { command: process.execPath, args: [fixture, '{task}'] } },
        ...overrides,
      });
      const sup = new AgentSupervisor({
        config,
        parentEnv: { PATH: '/usr/bin:/bin', HOME: '/home/x', LANG: 'C.UTF-8', LC_ALL: 'C', SECRET_KEY: 's3cret', NODE_OPTIONS: '--inspect' },
        sidecarUrl: 'http://127.0.0.1:1/api',
        mintToken: async (req) => {
          minted.push(req);
          const exp = Math.min(req.not_after, Math.floor(Date.now() / 1000) + 3600);
          return { token: `token-for-${req.sub}`, exp, expires_at: new Date(exp * 1000).toISOString() };
        },
        defaultPermissions: () => ['read_context', 'write_results', 'read_results', 'publish_events', 'subscribe_events'],
        publish: async (e) => {
          events.push(e);
        },
        ...deps,
      });
      supervisors.push(sup);
      return sup;
    },
    async cleanup() {
      await Promise.allSettled(supervisors.map((s) => s.close()));
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

export const ADMIN_CALLER: SpawnCaller = {
  sub: 'operator',
  agent_type: 'operator',
  project_id: 'proj',
  permissions: new Set(['admin']),
  exp: Math.floor(Date.now() / 1000) + 3600,
};

/** True when a process with this pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  return listGroupMembers(pgid)
    .filter((m) => m.state !== 'Z')
    .map((m) => m.pid);
}

export async function until(check: () => boolean | Promise<boolean>, ms = 10_000, step = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, step));
  }
}
