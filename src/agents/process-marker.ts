import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every process an agent starts inherits this variable (value: the agent id), also one that left
 * the agent's process group with `setsid` — the group kill does not reach it, the marker does.
 * Linux only (reads /proc/<pid>/environ); elsewhere the group kill is all there is.
 */
export const AGENT_MARKER_VARIABLE = 'CCO_AGENT_MARK';

/**
 * Pids of processes (of this user: others' environ is unreadable) whose environment carries the
 * marker of one of `agentIds`, mapped to that agent id. The environment read is the one the
 * process started with, so a descendant cannot shed the marker by unsetting it later.
 */
export function findMarkedProcesses(agentIds: ReadonlySet<string>, procRoot = '/proc'): Map<number, string> {
  const found = new Map<number, string>();
  if (agentIds.size === 0) return found;
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return found;
  }
  const prefix = `${AGENT_MARKER_VARIABLE}=`;
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`${procRoot}/${name}/environ`, 'latin1');
    } catch {
      continue; // gone, or another user's process
    }
    const at = environ.indexOf(prefix);
    if (at === -1 || (at > 0 && environ[at - 1] !== '\0')) continue;
    const end = environ.indexOf('\0', at);
    const id = environ.slice(at + prefix.length, end === -1 ? undefined : end);
    if (agentIds.has(id)) found.set(pid, id);
  }
  return found;
}

function signalAll(pids: Iterable<number>, signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone (ESRCH) or not ours (EPERM): nothing to do
    }
  }
}

/** SIGKILL, at once, every process marked with one of these agents (the sidecar is exiting). */
export function killMarkedSync(agentIds: ReadonlySet<string>): void {
  signalAll(findMarkedProcesses(agentIds).keys(), 'SIGKILL');
}

/**
 * End every process still marked with this agent: SIGTERM, then SIGKILL to whatever is left after
 * `graceMs`. Returns how many processes were found at first.
 */
export async function endMarkedProcesses(agentId: string, graceMs: number, pollMs = 50): Promise<number> {
  const ids = new Set([agentId]);
  const first = findMarkedProcesses(ids);
  if (first.size === 0) return 0;
  signalAll(first.keys(), 'SIGTERM');
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = findMarkedProcesses(ids);
    if (left.size === 0) return first.size;
    if (Date.now() >= deadline) {
      signalAll(left.keys(), 'SIGKILL');
      return first.size;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
