import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const TMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface AtomicWriteOptions {
  /**
   * Default true. false skips both fsyncs: the rename is still atomic for every reader and
   * survives a crash of this process (the page cache does), just not a power loss. For files
   * that matter only while the machine stays up (transient files, states superseded soon).
   */
  durable?: boolean;
}

/**
 * Durable atomic write: a crash leaves either the old file or the new one, never a torn one.
 *
 * Why not write-file-atomic: it writes through a symlink planted at the destination, copies the
 * old file's mode, skips the directory fsync and does not use O_EXCL (HAZARDS.md). Here the temp
 * file is created with O_EXCL|O_NOFOLLOW and mode 0600, fsynced, renamed over the destination
 * (rename replaces a planted link itself, never its target), and the directory is fsynced so the
 * rename survives power loss.
 *
 * @example await writeFileAtomic('/data/results/p/i/t.json', JSON.stringify(doc))
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600, options: AtomicWriteOptions = {}): Promise<void> {
  const durable = options.durable ?? true;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fsp.open(tmp, TMP_FLAGS, mode);
  let renamed = false;
  try {
    await handle.writeFile(data);
    // umask may have narrowed the mode at creation; never widen it beyond what was asked.
    await handle.chmod(mode);
    if (durable) await handle.sync();
    await handle.close();
    await fsp.rename(tmp, file);
    renamed = true;
    if (durable) await fsyncDir(dir);
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await fsp.unlink(tmp).catch(() => undefined);
    }
  }
}

/** fsync a directory so a rename or create inside it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Create a directory tree with mode 0700 and re-assert the mode (umask 000 or a pre-existing
 * world-readable dir must not leave storage open). Refuses a symlink at the final component.
 */
export async function ensureSecureDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await fsp.lstat(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new Error(`Refusing to use ${dir}: not a plain directory`);
  }
  if ((st.mode & 0o077) !== 0) await fsp.chmod(dir, 0o700);
}

/** True for errno codes that mean "the disk is full" (mapped to 507 STR_001). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
