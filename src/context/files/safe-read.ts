import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';

/**
 * Read a file of the project without ever leaving the root or blocking on a special file.
 *
 * - The relative path is checked first (no NUL, not absolute, no `..` component).
 * - The file is opened with O_NOFOLLOW (a symlink at the last component fails with ELOOP) and
 *   O_NONBLOCK (opening a FIFO never blocks a libuv thread: four blocked opens hang every fs
 *   call of the process, HAZARDS.md), then the *descriptor* is fstat'ed: only regular files are
 *   read. Checking the fd rather than the path closes the list-then-swap race.
 * - Containment is checked on the descriptor too: on Linux `/proc/self/fd/N` names the file
 *   actually opened, so a directory component swapped for a symlink after listing is caught.
 *   Elsewhere the parent directory is realpath'ed before opening.
 */

export type ReadFailure = 'missing' | 'symlink' | 'not_regular' | 'outside_root' | 'too_large' | 'invalid_path' | 'unreadable';

export type ReadResult = { ok: true; data: Buffer; stats: Stats; tail?: Buffer } | { ok: false; reason: ReadFailure; stats?: Stats };

/** How the sync reader treats a file over its limit. */
export interface ReadOptions {
  /**
   * Read a file over the limit as two bounded slices instead of refusing it: `data` holds the
   * first `head` bytes and `tail` the last `maxBytes - head` (a 2 GiB log costs `maxBytes`).
   */
  sliceOver?: { head: number };
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const HAS_PROC_FD = process.platform === 'linux';

/** True when `rel` is a plain relative POSIX path that stays below the root. */
export function isSafeRelPath(rel: string): boolean {
  if (typeof rel !== 'string' || rel.length === 0 || rel.length > 4096) return false;
  if (rel.includes('\0') || rel.startsWith('/') || rel.includes('\\')) return false;
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.' || seg === '..' || seg.length > 255) return false;
  }
  return true;
}

/** `child` is `root` itself or below it (both real, absolute paths). */
export function isContained(realRoot: string, child: string): boolean {
  const rel = path.relative(realRoot, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function failureOf(err: unknown): ReadFailure {
  const code = errCode(err);
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
  if (code === 'ELOOP' || code === 'EMLINK') return 'symlink';
  if (code === 'ENAMETOOLONG') return 'invalid_path';
  if (code === 'ENXIO' || code === 'EOPNOTSUPP') return 'not_regular';
  return 'unreadable';
}

/**
 * The checks on an opened file, one copy for both variants: a regular file, still inside the
 * root once opened (`real` is the fd's path from /proc, null when it could not be read: refused
 * as unreadable, never guessed), and not larger than `maxBytes`.
 */
function refuseOpened(realRoot: string, stats: Stats, real: string | null | undefined, maxBytes: number): ReadResult | undefined {
  if (!stats.isFile()) return { ok: false, reason: 'not_regular', stats };
  if (HAS_PROC_FD) {
    if (real === null || real === undefined) return { ok: false, reason: 'unreadable' };
    if (!isContained(realRoot, real)) return { ok: false, reason: 'outside_root' };
  }
  if (stats.size > maxBytes) return { ok: false, reason: 'too_large', stats };
  return undefined;
}

function readlinkOrNull(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/**
 * Synchronous variant for worker threads (sync fs is 2–3× faster there and blocks nobody).
 * `maxBytes`: files larger than this are not read (`too_large`, with stats).
 */
export function readContainedFileSync(realRoot: string, rel: string, maxBytes: number, opts: ReadOptions = {}): ReadResult {
  if (!isSafeRelPath(rel)) return { ok: false, reason: 'invalid_path' };
  const abs = path.join(realRoot, rel);
  if (!HAS_PROC_FD) {
    try {
      if (!isContained(realRoot, realpathSync(path.dirname(abs)))) return { ok: false, reason: 'outside_root' };
    } catch (err) {
      return { ok: false, reason: failureOf(err) };
    }
  }
  let fd: number;
  try {
    fd = openSync(abs, OPEN_FLAGS);
  } catch (err) {
    return { ok: false, reason: failureOf(err) };
  }
  try {
    const stats = fstatSync(fd);
    const refused = refuseOpened(realRoot, stats, stats.isFile() && HAS_PROC_FD ? readlinkOrNull(fd) : undefined, maxBytes);
    if (refused && !refused.ok && refused.reason === 'too_large' && opts.sliceOver) {
      const headLen = Math.max(0, Math.min(opts.sliceOver.head, maxBytes));
      const head = readAtSync(fd, 0, headLen);
      const tail = readAtSync(fd, stats.size - (maxBytes - headLen), maxBytes - headLen);
      return { ok: true, data: head, tail, stats };
    }
    if (refused) return refused;
    const data = Buffer.allocUnsafe(stats.size);
    let off = 0;
    while (off < data.length) {
      const n = readSync(fd, data, off, data.length - off, off);
      if (n === 0) break; // the file shrank after fstat: send what is there
      off += n;
    }
    return { ok: true, data: off === data.length ? data : data.subarray(0, off), stats };
  } catch (err) {
    return { ok: false, reason: failureOf(err) };
  } finally {
    closeSync(fd);
  }
}

/** `length` bytes from `position` (fewer when the file shrank meanwhile). */
function readAtSync(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(0, length));
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) break;
    off += n;
  }
  return off === buf.length ? buf : buf.subarray(0, off);
}

/** Asynchronous variant for the main thread (small files only: manifests, coverage reports). */
export async function readContainedFile(realRoot: string, rel: string, maxBytes: number): Promise<ReadResult> {
  if (!isSafeRelPath(rel)) return { ok: false, reason: 'invalid_path' };
  const abs = path.join(realRoot, rel);
  if (!HAS_PROC_FD) {
    try {
      if (!isContained(realRoot, await fsp.realpath(path.dirname(abs)))) return { ok: false, reason: 'outside_root' };
    } catch (err) {
      return { ok: false, reason: failureOf(err) };
    }
  }
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(abs, OPEN_FLAGS);
  } catch (err) {
    return { ok: false, reason: failureOf(err) };
  }
  try {
    const stats = await handle.stat();
    const real = stats.isFile() && HAS_PROC_FD ? await fsp.readlink(`/proc/self/fd/${handle.fd}`).catch(() => null) : undefined;
    const refused = refuseOpened(realRoot, stats, real, maxBytes);
    if (refused) return refused;
    const data = Buffer.allocUnsafe(stats.size);
    let off = 0;
    while (off < data.length) {
      const { bytesRead } = await handle.read(data, off, data.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return { ok: true, data: off === data.length ? data : data.subarray(0, off), stats };
  } catch (err) {
    return { ok: false, reason: failureOf(err) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Binary heuristic used by git: a NUL byte in the first 8000 bytes. */
export function looksBinary(data: Buffer): boolean {
  return data.subarray(0, 8000).includes(0);
}
