import { promises as fsp } from 'node:fs';

/** Never return more than this much log text in one answer. */
export const MAX_LOG_READ_BYTES = 1024 * 1024;

export interface LogChunk {
  lines: string[];
  /** Byte offset where this chunk starts. */
  offset: number;
  /** Byte offset to pass as `offset` next time (after the last complete line returned). */
  next_offset: number;
  size_bytes: number;
  /** True when older output was left out (tail or byte limit). */
  truncated: boolean;
}

async function openIfExists(file: string): Promise<fsp.FileHandle | null> {
  try {
    return await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const EMPTY: LogChunk = { lines: [], offset: 0, next_offset: 0, size_bytes: 0, truncated: false };

/**
 * The last `tail` lines of a log, reading backwards at most MAX_LOG_READ_BYTES (a log is capped,
 * but a tail must stay cheap even on a 1 GiB cap).
 */
export async function readLogTail(file: string, tail: number): Promise<LogChunk> {
  const fh = await openIfExists(file);
  if (!fh) return EMPTY;
  try {
    const size = (await fh.stat()).size;
    const length = Math.min(size, MAX_LOG_READ_BYTES);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    let text = buf.toString('utf8');
    let start = size - length;
    if (start > 0) {
      // Drop the partial first line of the window.
      const nl = text.indexOf('\n');
      start += Buffer.byteLength(text.slice(0, nl + 1));
      text = nl >= 0 ? text.slice(nl + 1) : '';
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const kept = lines.slice(Math.max(0, lines.length - tail));
    const skippedBytes = Buffer.byteLength(
      lines
        .slice(0, lines.length - kept.length)
        .map((l) => `${l}\n`)
        .join(''),
    );
    return { lines: kept, offset: start + skippedBytes, next_offset: size, size_bytes: size, truncated: start + skippedBytes > 0 };
  } finally {
    await fh.close();
  }
}

/**
 * Complete lines from byte `offset` on (for `logs --follow`). A trailing partial line is held
 * back unless `final` (the agent has ended), so a follower never prints half a line twice.
 */
export async function readLogFrom(file: string, offset: number, final: boolean): Promise<LogChunk> {
  const fh = await openIfExists(file);
  if (!fh) return { ...EMPTY, offset, next_offset: offset };
  try {
    const size = (await fh.stat()).size;
    const from = Math.min(Math.max(0, offset), size);
    const length = Math.min(size - from, MAX_LOG_READ_BYTES);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, from);
    let usable = buf;
    const lastNl = buf.lastIndexOf(0x0a);
    const atEnd = from + length === size;
    // A line longer than the read window is returned as it is, or a follower would stall on it.
    const hugeLine = lastNl < 0 && length === MAX_LOG_READ_BYTES;
    if (!(final && atEnd) && !hugeLine) usable = buf.subarray(0, lastNl + 1);
    const lines = usable.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return { lines, offset: from, next_offset: from + usable.length, size_bytes: size, truncated: from + usable.length < size };
  } finally {
    await fh.close();
  }
}
