import { readFileSync, readdirSync } from 'node:fs';

/**
 * Facts about a process read from `/proc/<pid>/stat` (Linux). The start time (field 22, clock
 * ticks since boot) together with the boot id identifies a process for good: a pid is recycled
 * (pid_max is often 32768), a (boot id, pid, start time) triple never is. Before the sidecar
 * signals a process it did not just spawn, it checks this identity.
 *
 * Reads are synchronous on purpose: they are tiny procfs reads, and the spawn path must read the
 * start time in the same tick as `spawn()`, before libuv can reap the child and free its pid.
 */
export interface ProcStat {
  pid: number;
  /** One-letter state (R, S, D, Z, T, …). */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  startTicks: number;
}

/** Parse one `/proc/<pid>/stat` line. The command name (field 2) may hold spaces and ')'. */
export function parseProcStat(line: string): ProcStat | null {
  const close = line.lastIndexOf(')');
  if (close < 0) return null;
  const pid = Number(line.slice(0, line.indexOf(' ')));
  // Fields after the name start at field 3 (state).
  const rest = line
    .slice(close + 2)
    .trim()
    .split(' ');
  const num = (field: number): number => Number(rest[field - 3]);
  const state = rest[0];
  if (!state || !Number.isInteger(pid)) return null;
  const stat = { pid, state, ppid: num(4), pgrp: num(5), session: num(6), startTicks: num(22) };
  return Number.isFinite(stat.startTicks) && Number.isFinite(stat.pgrp) ? stat : null;
}

/** Stat of a live (or zombie) process; null when there is none (or no procfs). */
export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

let cachedBootId: string | null | undefined;

/** The kernel's boot id; null without procfs. Start ticks only compare within one boot. */
export function readBootId(): string | null {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId;
}

/** Every process whose process group is `pgid` (zombies included). */
export function listGroupMembers(pgid: number, procRoot = '/proc'): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return [];
  }
  const members: ProcStat[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name), procRoot);
    if (stat && stat.pgrp === pgid) members.push(stat);
  }
  return members;
}
