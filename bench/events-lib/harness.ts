import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** The server side of every event benchmark runs on core 0, the load on core 1 (2-core machine). */
export const SERVER_CORE = '0';
export const LOAD_CORE = '1';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  token?: string;
  tokens?: string[];
  /** RSS after a full GC, in bytes. */
  rss(): Promise<number>;
  /** RSS and V8 heap in use after a full GC, in bytes. */
  memory(): Promise<{ rss: number; heapUsed: number }>;
  /** CPU time (user + system) the server process used so far, in µs. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
}

/** Pin this process (all its threads) to the load core. */
export function pinSelf(): void {
  if (hasTaskset()) execFileSync('taskset', ['-a', '-p', '-c', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
}

/** Spawn `node [--expose-gc] <file> ...args` pinned to `core`, with an IPC channel. */
export function spawnPinned(file: string, args: string[], core: string, nodeArgs: string[] = []): ChildProcess {
  const node = [process.execPath, '--expose-gc', ...nodeArgs, file, ...args];
  const [cmd, ...rest] = hasTaskset() ? ['taskset', '-c', core, ...node] : node;
  return spawn(cmd!, rest, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function once<T>(child: ChildProcess, pick: (msg: any) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: unknown): void => {
      const v = pick(msg);
      if (v === undefined) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(v);
    };
    const onExit = (code: number | null): void => reject(new Error(`child exited (${code}) before answering`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Start a bench server (see bench-server.ts) on the server core and wait until it listens. */
export async function startServer(mode: string, ...args: string[]): Promise<ServerProcess> {
  const file = fileURLToPath(new URL('./bench-server.js', import.meta.url));
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server under test.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawnPinned(file, [mode, ...args], SERVER_CORE, nodeArgs);
  const ready = await once(child, (m: { ready?: boolean; url: string; token?: string; tokens?: string[] }) => (m.ready ? m : undefined));
  return {
    child,
    url: ready.url,
    ...(ready.token ? { token: ready.token } : {}),
    ...(ready.tokens ? { tokens: ready.tokens } : {}),
    rss: () => {
      const answer = once(child, (m: { rss?: number }) => m.rss);
      child.send({ cmd: 'rss' });
      return answer;
    },
    memory: () => {
      const answer = once(child, (m: { rss?: number; heap_used?: number }) => (m.rss !== undefined ? { rss: m.rss, heapUsed: m.heap_used ?? 0 } : undefined));
      child.send({ cmd: 'rss' });
      return answer;
    },
    cpuMicros: () => {
      const answer = once(child, (m: { cpu_us?: number }) => m.cpu_us);
      child.send({ cmd: 'cpu' });
      return answer;
    },
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ cmd: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function machine(): Record<string, unknown> {
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg_1m: round(os.loadavg()[0]!), pinned: hasTaskset() };
}
