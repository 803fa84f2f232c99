import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { readBootId, readProcStat } from '../agents/proc-stat.js';

/**
 * Who holds a pid lock: the pid plus the process start time (clock ticks since boot) and the boot
 * id. A pid alone cannot tell the recorded process from a later one that got the same pid
 * (`pid_max` is often 32768; a container restarted on a kept volume is often pid 1 again).
 */
export interface LockOwner {
  pid: number;
  /** `/proc/<pid>/stat` field 22; null where there is no procfs (or an old lock file). */
  startTicks: number | null;
  bootId: string | null;
}

/** The lock is held by another live process (the recorded one, start time checked). */
export class LockHeldError extends Error {
  constructor(
    readonly file: string,
    readonly owner: LockOwner,
    message: string,
  ) {
    super(message);
  }
}

/** This process as a lock owner. */
export function currentOwner(): LockOwner {
  return { pid: process.pid, startTicks: readProcStat(process.pid)?.startTicks ?? null, bootId: readBootId() };
}

/** File text: the pid alone on the first line (scripts that read a pid keep working), the identity on the second. */
export function formatOwner(owner: LockOwner): string {
  return `${owner.pid}\n${owner.startTicks ?? '-'} ${owner.bootId ?? '-'}\n`;
}

/** Parse a lock file; a file of an earlier version holds the pid only. Undefined when no pid can be read. */
export function parseOwner(text: string): LockOwner | undefined {
  const [first = '', second = ''] = text.split('\n');
  const pid = Number(first.trim());
  if (!/^\d+$/.test(first.trim()) || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const [ticks, boot] = second.trim().split(' ');
  const startTicks = ticks !== undefined && /^\d+$/.test(ticks) ? Number(ticks) : null;
  return { pid, startTicks, bootId: boot && boot !== '-' ? boot : null };
}

export async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return parseOwner(await fsp.readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when the pid answers signal 0 (EPERM: alive, owned by another user). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when the recorded process is still running: its pid is alive and, where the start time
 * was recorded and can be read, the live process started at that time in this boot. A recycled
 * pid (same number, other start time or other boot) is not the recorded process.
 */
export function isOwnerAlive(owner: LockOwner): boolean {
  if (!isPidAlive(owner.pid)) return false;
  if (owner.startTicks === null) return true;
  const bootId = readBootId();
  if (owner.bootId !== null && bootId !== null && owner.bootId !== bootId) return false;
  const stat = readProcStat(owner.pid);
  if (!stat) return true; // no procfs: the pid is all we can check
  return stat.startTicks === owner.startTicks && stat.state !== 'Z';
}

/**
 * Lock files held in this process. A lock file holding our own pid that we do not hold was left by
 * an earlier process that had our pid (it is dead: we have the pid now), so it is ours to take.
 */
const held = new Set<string>();

export interface PidLock {
  readonly file: string;
  /** Remove the lock file (idempotent); only a lock this process holds is removed. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** Error message when another live process holds the lock. */
  heldMessage?: (owner: LockOwner) => string;
  /** Error message when this process already holds it. */
  reentrantMessage?: string;
}

/**
 * Take `file` as an exclusive lock for this process: created with O_EXCL | O_NOFOLLOW, mode 0600,
 * holding this process's identity. A stale lock (its process gone, its pid recycled, or our own
 * pid from an earlier life) is replaced; a live holder fails fast with `LockHeldError`.
 *
 * @example
 * const lock = await acquirePidLock(path.join(storage, 'sidecar.pid'));
 * try { … } finally { await lock.release(); }
 */
export async function acquirePidLock(fileGiven: string, options: AcquireOptions = {}): Promise<PidLock> {
  const file = path.resolve(fileGiven);
  if (held.has(file)) throw new Error(options.reentrantMessage ?? `The lock ${file} is already held by this process`);
  const me = currentOwner();
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fsp.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        await handle.writeFile(formatOwner(me));
        await handle.sync();
      } finally {
        await handle.close();
      }
      held.add(file);
      return { file, release: () => releasePidLock(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(file);
    if (owner && owner.pid !== process.pid && isOwnerAlive(owner)) {
      throw new LockHeldError(file, owner, options.heldMessage?.(owner) ?? `The lock ${file} is held by process ${owner.pid}`);
    }
    await fsp.unlink(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  throw new Error(`Could not take the lock ${file}`);
}

/** True when this process holds the lock `file`. */
export function holdsPidLock(file: string): boolean {
  return held.has(path.resolve(file));
}

async function releasePidLock(file: string): Promise<void> {
  if (!held.delete(file)) return;
  await fsp.unlink(file).catch(() => undefined);
}

export type SignalOutcome = 'sent' | 'gone' | 'not_permitted' | 'not_recorded_process';

/**
 * Signal the process a lock records, and only that one: a pid now held by another process (start
 * time differs) is never signalled. Never throws for ESRCH (gone) or EPERM (not ours to signal).
 */
export function signalOwner(
  owner: LockOwner,
  signal: NodeJS.Signals,
  kill: (pid: number, signal: NodeJS.Signals) => void = (pid, sig) => process.kill(pid, sig),
): SignalOutcome {
  if (!isOwnerAlive(owner)) return isPidAlive(owner.pid) ? 'not_recorded_process' : 'gone';
  try {
    kill(owner.pid, signal);
    return 'sent';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    if (code === 'EPERM') return 'not_permitted';
    throw err;
  }
}
