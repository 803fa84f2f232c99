import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../storage/atomic-write.js';

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
}

export const STATE_FILE = 'sidecar.json';
export const PID_FILE = 'sidecar.pid';

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number, storage: string) {
    super(`Another sidecar (pid ${pid}) is already using the storage dir ${storage}; stop it first (cco orchestration stop)`);
  }
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the storage dir for this process: the pid file doubles as a lock, created with O_EXCL.
 * A pid file whose process is gone is stale and replaced; a live one fails fast.
 */
export async function acquirePidLock(storageDir: string): Promise<void> {
  const file = path.join(storageDir, PID_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await fsp.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = await readPid(storageDir);
      if (pid !== undefined && isProcessAlive(pid)) throw new AlreadyRunningError(pid, storageDir);
      await fsp.unlink(file).catch(() => undefined);
    }
  }
  throw new Error(`Could not take the pid lock ${file}`);
}

export async function readPid(storageDir: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await fsp.readFile(path.join(storageDir, PID_FILE), 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
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

/** Remove the state and pid files, but only if they are still ours. */
export async function releaseState(storageDir: string): Promise<void> {
  if ((await readPid(storageDir)) !== process.pid) return;
  await fsp.unlink(path.join(storageDir, STATE_FILE)).catch(() => undefined);
  await fsp.unlink(path.join(storageDir, PID_FILE)).catch(() => undefined);
}
