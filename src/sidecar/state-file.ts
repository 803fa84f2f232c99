import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { acquirePidLock, holdsPidLock, isOwnerAlive, isPidAlive, LockHeldError, readOwner, type LockOwner, type PidLock } from '../storage/pid-lock.js';

/** What a running sidecar records about itself so the CLI works from any directory. */
export interface SidecarState {
  pid: number;
  host: string;
  port: number;
  url: string;
  project_id: string;
  project_root: string;
  storage_path: string;
  version: string;
  started_at: string;
  /** The sidecar's `max_token_ttl_seconds`, so `token` refuses a longer --ttl before minting. */
  max_token_ttl_seconds?: number;
  /** This sidecar's node id (cluster). */
  node_id?: string;
  /** The shared key file the sidecar signs with, so `token` signs with the same key (a path, never the key). */
  jwt_secret_file?: string;
  /** Set by `start --cluster N`: this pid is the primary of N sidecar processes. */
  cluster_size?: number;
}

export const STATE_FILE = 'sidecar.json';
export const PID_FILE = 'sidecar.pid';

export class AlreadyRunningError extends Error {
  constructor(
    readonly pid: number,
    storage: string,
  ) {
    super(`Another sidecar (pid ${pid}) is already using the storage dir ${storage}; stop it first (cco orchestration stop)`);
  }
}

/** Kept for callers that hold a child's pid they just spawned (no recorded start time to compare). */
export const isProcessAlive = isPidAlive;

/**
 * Take the storage dir for this process: `sidecar.pid` is the pid lock (pid and start time). A
 * stale file (its process gone, its pid recycled, or our own pid from an earlier life) is
 * replaced; a live sidecar fails fast with `AlreadyRunningError`.
 */
export async function acquireSidecarLock(storageDir: string): Promise<PidLock> {
  try {
    return await acquirePidLock(path.join(storageDir, PID_FILE), {
      reentrantMessage: `A sidecar in this process already uses the storage dir ${storageDir}`,
    });
  } catch (err) {
    if (err instanceof LockHeldError) throw new AlreadyRunningError(err.owner.pid, storageDir);
    throw err;
  }
}

/** The recorded sidecar (pid and start time), or undefined without a readable pid file. */
export function readSidecarOwner(storageDir: string): Promise<LockOwner | undefined> {
  return readOwner(path.join(storageDir, PID_FILE));
}

/** The recorded sidecar's pid when that very process (start time checked) still runs. */
export async function runningSidecarPid(storageDir: string): Promise<number | undefined> {
  const owner = await readSidecarOwner(storageDir);
  return owner && isOwnerAlive(owner) ? owner.pid : undefined;
}

export async function readPid(storageDir: string): Promise<number | undefined> {
  return (await readSidecarOwner(storageDir))?.pid;
}

export async function writeState(storageDir: string, state: SidecarState): Promise<void> {
  await writeFileAtomic(path.join(storageDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

export async function readState(storageDir: string): Promise<SidecarState | undefined> {
  try {
    return JSON.parse(await fsp.readFile(path.join(storageDir, STATE_FILE), 'utf8')) as SidecarState;
  } catch {
    return undefined;
  }
}

/** Remove the state and pid files of a sidecar that is gone (crash, kill -9): `stop` cleans up after it. */
export async function removeStaleState(storageDir: string): Promise<void> {
  await fsp.unlink(path.join(storageDir, STATE_FILE)).catch(() => undefined);
  await fsp.unlink(path.join(storageDir, PID_FILE)).catch(() => undefined);
}

/** Remove the state file, then release the pid lock, but only if this process holds it. */
export async function releaseState(storageDir: string, lock: PidLock): Promise<void> {
  if (!holdsPidLock(lock.file)) return;
  await fsp.unlink(path.join(storageDir, STATE_FILE)).catch(() => undefined);
  await lock.release();
}
