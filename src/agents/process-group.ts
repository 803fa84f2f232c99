import { listGroupMembers, readBootId, readProcStat } from './proc-stat.js';

/** Who an agent process was: enough to recognise it again, or to know it is gone. */
export interface ProcessIdentity {
  pid: number;
  startTicks: number | null;
  bootId: string | null;
}

/**
 * - `leader_alive`: the recorded leader still runs (same pid and start time, same boot);
 * - `leader_gone`: nothing runs under that pid; members of its group may remain;
 * - `recycled`: another process now has that pid (or this is another boot): never signal;
 * - `unknown`: the start time was never known (no procfs): cannot prove anything, never signal.
 */
export type GroupState = 'leader_alive' | 'leader_gone' | 'recycled' | 'unknown';

/** Compare a recorded identity with what runs now. */
export function identifyGroup(id: ProcessIdentity): GroupState {
  // kill(-0) and kill(-1) would reach our own group or every process: never a valid agent.
  if (!Number.isInteger(id.pid) || id.pid <= 1 || id.startTicks === null) return 'unknown';
  const boot = readBootId();
  if (id.bootId !== null && boot !== null && id.bootId !== boot) return 'recycled';
  const stat = readProcStat(id.pid);
  if (!stat) return 'leader_gone';
  return stat.startTicks === id.startTicks ? 'leader_alive' : 'recycled';
}

/**
 * True when a process that has not exited is in process group `pgid`. Signal 0 probes cheaply;
 * only when it finds someone is /proc scanned, because signal 0 also "finds" zombies, and an
 * init that reaps orphans lazily (seen here: up to 2 s) would make a dead group look alive.
 */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return listGroupMembers(pgid).some((m) => m.state !== 'Z' && m.state !== 'X');
}

/**
 * Signal the agent's whole process group (`kill(-pgid)`, which reaches grandchildren), but only
 * when the group is provably the agent's: the leader still matches its recorded start time, or
 * the leader is gone and nobody else holds its pid. While any member of a group lives, the
 * kernel does not hand the group's id out as a new pid, so "no process has this pid" plus "the
 * group has members" means the members are the agent's leftovers.
 *
 * Returns true when a signal was delivered.
 */
export function signalGroup(id: ProcessIdentity, signal: NodeJS.Signals): boolean {
  const state = identifyGroup(id);
  if (state === 'recycled' || state === 'unknown') return false;
  try {
    process.kill(-id.pid, signal);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw err;
  }
}

/** True while the leader or any member of the agent's group exists (and is provably the agent's). */
export function groupAlive(id: ProcessIdentity): boolean {
  const state = identifyGroup(id);
  if (state === 'recycled' || state === 'unknown') return false;
  return groupExists(id.pid);
}

/** Poll until the group is gone or `ms` passed; true when gone. */
export async function waitGroupGone(id: ProcessIdentity, ms: number, pollMs = 25): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!groupAlive(id)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
