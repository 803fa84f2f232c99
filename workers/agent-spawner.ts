import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { CappedLogSink } from '../src/agents/log-sink.js';
import { readProcStat } from '../src/agents/proc-stat.js';
import { resolveExecutable } from '../src/agents/resolve-command.js';
import type { SpawnerEvent, SpawnerRequest } from '../src/agents/spawner-protocol.js';

/**
 * Agent spawner worker. Owns the agent child processes: fork+exec (which blocks the calling
 * thread for tens of milliseconds under load, measured here: 28–58 ms per spawn on a busy 2-core
 * machine), draining their pipes into capped log files, and noticing their exit. Running it off
 * the main thread keeps those costs away from the HTTP event loop. Signalling process groups stays
 * on the main thread (a kill(2) is cheap).
 */
const port = parentPort;
if (!port) throw new Error('agent-spawner must run as a worker thread');

/**
 * With the scheduler's autogroups on (Linux default on desktops and many servers), CPU is shared
 * between sessions first, and every agent is a session of its own (setsid): nice(1) alone would
 * then not lower an agent against the sidecar at all. The session's autogroup niceness does.
 * Best effort: no procfs, no autogroups, or an older kernel just leave nice(1) in charge.
 */
function lowerAutogroup(pid: number, nice: number): void {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    // not available here
  }
}

function post(event: SpawnerEvent): void {
  port!.postMessage(event);
}

async function handleSpawn(req: Extract<SpawnerRequest, { op: 'spawn' }>): Promise<void> {
  let stdout: CappedLogSink | undefined;
  let stderr: CappedLogSink | undefined;
  try {
    stdout = new CappedLogSink(req.stdoutFile, req.logCapBytes);
    stderr = new CappedLogSink(req.stderrFile, req.logCapBytes);
    const executable = resolveExecutable(req.command, req.env.PATH, req.cwd);
    if (!executable) {
      await Promise.all([stdout.close(), stderr.close()]);
      post({ op: 'spawn_failed', id: req.id, errno: 'ENOENT', message: `${req.command}: command not found` });
      return;
    }
    // `nice` lowers the priority and then execs the agent in place: same pid, same process group,
    // and every thread the agent starts inherits the niceness.
    const niceBin = req.nice > 0 ? resolveExecutable('nice', '/usr/bin:/bin', '/') : null;
    const [file, argv] = niceBin ? [niceBin, ['-n', String(req.nice), executable, ...req.args]] : [executable, req.args];
    // No shell, ever; detached: the child calls setsid() and leads its own process group.
    const child = spawn(file, argv, {
      cwd: req.cwd,
      env: req.env,
      detached: true,
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    if (child.pid === undefined) {
      const [err] = (await once(child, 'error')) as [NodeJS.ErrnoException];
      await Promise.all([stdout.close(), stderr.close()]);
      post({ op: 'spawn_failed', id: req.id, errno: err.code ?? null, message: err.message });
      return;
    }
    // Same tick as spawn(): this thread's loop cannot have reaped the child yet, so the pid is ours.
    const stat = readProcStat(child.pid);
    if (req.nice > 0) lowerAutogroup(child.pid, req.nice);
    const startedAt = performance.now();
    const out = stdout;
    const err = stderr;
    // Drained always, never paused: a child must not block on a full pipe.
    if (child.stdout) out.attach(child.stdout);
    if (child.stderr) err.attach(child.stderr);
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      post({ op: 'exit', id: req.id, code, signal, durationMs: performance.now() - startedAt });
      // Descendants may hold the pipes open; the supervisor kills the group, but one that left
      // the group must not keep us waiting forever.
      const stopWaiting = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, req.stdioGraceMs);
      child.once('close', () => {
        clearTimeout(stopWaiting);
        void Promise.all([out.close(), err.close()]).then(() => {
          post({ op: 'closed', id: req.id, dropped: { stdout: out.droppedBytes, stderr: err.droppedBytes } });
        });
      });
    });
    post({ op: 'spawned', id: req.id, pid: child.pid, startTicks: stat?.startTicks ?? null });
  } catch (e) {
    await Promise.all([stdout?.close(), stderr?.close()]);
    post({ op: 'spawn_failed', id: req.id, errno: (e as NodeJS.ErrnoException).code ?? null, message: (e as Error).message });
  }
}

port.on('message', (req: SpawnerRequest) => {
  if (req.op === 'spawn') void handleSpawn(req);
});
