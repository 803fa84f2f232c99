import { closeSync, constants, fstatSync, openSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureSecureDir, fsyncDir } from './atomic-write.js';

/** A path under the result tree that is a symlink or not a directory where one is expected. */
export class UnsafePathError extends Error {
  constructor(
    readonly target: string,
    reason: string,
  ) {
    super(`Refusing to use ${target}: ${reason}`);
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * `<root>/<parts…>` as a verified directory, created 0700 when missing.
 *
 * `mkdir -p` follows a symlink planted at any intermediate component, so components are
 * checked one by one with lstat. The common case (the directory exists) costs one realpath:
 * if it equals the path under the real root, no component is a link. Verifying the deepest
 * directory verifies all its ancestors, so callers ask for the deepest one they need.
 */
export async function ensureSubdirs(root: string, realRoot: string, parts: readonly string[]): Promise<string> {
  const dir = path.join(root, ...parts);
  const expected = path.join(realRoot, ...parts);
  try {
    // A non-directory planted at the last component passes this check, but nothing is written
    // through it: the rename or open inside it then fails with ENOTDIR.
    const real = await fsp.realpath(dir);
    if (real !== expected) throw new UnsafePathError(dir, 'a path component is a symbolic link');
    return dir;
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw err;
  }
  let current = root;
  for (const part of parts) {
    const next = path.join(current, part);
    let st;
    try {
      st = await fsp.lstat(next);
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw err;
    }
    if (st === undefined) {
      // Safe: `current` was verified a plain directory, so mkdir creates exactly one level here.
      await ensureSecureDir(next);
      // The new entry must survive a crash like the files written into it.
      await fsyncDir(current);
    } else if (st.isSymbolicLink() || !st.isDirectory()) {
      throw new UnsafePathError(next, st.isSymbolicLink() ? 'a symbolic link' : 'not a directory');
    }
    current = next;
  }
  return dir;
}

/**
 * Read a regular file without following a link and without blocking on a FIFO: open with
 * O_NOFOLLOW|O_NONBLOCK and check the opened descriptor, not the path.
 */
export async function readRegularFile(file: string): Promise<{ text: string; size: number }> {
  const handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new UnsafePathError(file, 'not a regular file');
    const text = await handle.readFile('utf8');
    return { text, size: st.size };
  } finally {
    await handle.close();
  }
}

/**
 * Synchronous twin of `readRegularFile`, for the start-up scan: with 4 libuv threads, async
 * open/fstat/read/close of many small files is bound by thread hand-offs, and sync calls are
 * several times faster while nothing else is being served yet.
 */
export function readRegularFileSync(file: string): { text: string; size: number } {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnsafePathError(file, 'not a regular file');
    return { text: readFileSync(fd, 'utf8'), size: st.size };
  } finally {
    closeSync(fd);
  }
}
