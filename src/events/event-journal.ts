import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ensureSecureDir, fsyncDir, writeFileAtomic } from '../storage/atomic-write.js';
import { acquirePidLock, type PidLock } from '../storage/pid-lock.js';
import { appendWhole } from '../storage/group-commit.js';
import { asRecord, type JournalRecord } from './journal-records.js';

const JOURNAL_FILE = 'journal.jsonl';
const LOCK_FILE = 'journal.lock';
const READ_CHUNK = 1 << 20;
const OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;

/** What reading the journal at open found. */
export interface JournalOpenReport {
  /** Bytes of valid journal after repair. */
  bytes: number;
  /** Complete lines that did not parse as a record (skipped). */
  corruptLines: number;
  /** Bytes of an incomplete last line cut off (a write interrupted by a crash). */
  tornBytes: number;
  /** The last record was a clean-close marker. */
  cleanClose: boolean;
  /** The file did not exist (a new journal). */
  created: boolean;
}

/** Receives every valid record with its raw line (newline included) in file order. */
export type RecordVisitor = (record: JournalRecord, line: string) => void;

/**
 * The append-only journal file of the embedded bus: `<storage>/events/journal.jsonl`, 0600, in
 * a 0700 directory, guarded by a lock file so two sidecars never append to the same journal.
 *
 * Writes are serialised by the caller (one batch at a time): `append` either writes the whole
 * batch or truncates the file back to where it was and throws, so a failed write (ENOSPC)
 * never leaves a half record for the next open to misread. `rewrite` replaces the file
 * atomically (compaction).
 */
export class EventJournal {
  private handle: FileHandle;
  private sizeBytes: number;
  private broken = false;

  private constructor(
    readonly dir: string,
    handle: FileHandle,
    size: number,
    private readonly lock: PidLock,
  ) {
    this.handle = handle;
    this.sizeBytes = size;
  }

  get file(): string {
    return path.join(this.dir, JOURNAL_FILE);
  }

  /** Current size in bytes. */
  get size(): number {
    return this.sizeBytes;
  }

  /** True after a write failed and could not be rolled back: the file must not be appended to. */
  get isBroken(): boolean {
    return this.broken;
  }

  /**
   * Lock the directory, read every record (calling `visit`), repair a torn tail, and return the
   * journal ready for appends. A journal that another live process holds is refused.
   */
  static async open(dirGiven: string, visit: RecordVisitor): Promise<{ journal: EventJournal; report: JournalOpenReport }> {
    const dir = path.resolve(dirGiven);
    await ensureSecureDir(dir);
    const lock = await acquirePidLock(path.join(dir, LOCK_FILE), {
      reentrantMessage: `Event journal in ${dir} is already open in this process`,
      heldMessage: (owner) => `Event journal in ${dir} is in use by process ${owner.pid}`,
    });
    let handle: FileHandle | undefined;
    try {
      const file = path.join(dir, JOURNAL_FILE);
      let created = false;
      try {
        await fsp.lstat(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        created = true;
      }
      handle = await fsp.open(file, OPEN_FLAGS, 0o600);
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(`Event journal ${file} is not a regular file`);
      if ((st.mode & 0o077) !== 0) await handle.chmod(0o600);
      const report = await readRecords(handle, st.size, visit);
      if (report.bytes < st.size) {
        await handle.truncate(report.bytes);
        await handle.sync();
      }
      if (created) await fsyncDir(dir);
      return { journal: new EventJournal(dir, handle, report.bytes, lock), report: { ...report, created } };
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await lock.release();
      throw err;
    }
  }

  /**
   * Append `text` (whole lines), synchronously and all or nothing (`appendWhole`): on failure
   * the file is cut back and the error rethrown.
   */
  append(text: string): void {
    if (this.broken) throw new Error('Event journal is unusable after a failed write');
    const buf = Buffer.from(text, 'utf8');
    const outcome = appendWhole(this.handle.fd, buf, this.sizeBytes);
    if (!outcome.ok) {
      if (!outcome.rolledBack) this.broken = true;
      throw outcome.error;
    }
    this.sizeBytes += buf.length;
  }

  /** fdatasync: makes every appended byte durable (the size change included). */
  async sync(): Promise<void> {
    try {
      await this.handle.datasync();
    } catch (err) {
      // After a failed fsync the kernel may have dropped dirty pages: what is on disk is unknown.
      this.broken = true;
      throw err;
    }
  }

  /** Atomically replace the journal with `text` (compaction) and continue appending to it. */
  async rewriteBuffer(data: Uint8Array): Promise<void> {
    if (this.broken) throw new Error('Event journal is unusable after a failed write');
    await writeFileAtomic(this.file, data, 0o600);
    const next = await fsp.open(this.file, OPEN_FLAGS, 0o600);
    const old = this.handle;
    this.handle = next;
    this.sizeBytes = data.byteLength;
    await old.close().catch(() => undefined);
  }

  /** Sync, close and unlock. */
  async close(): Promise<void> {
    try {
      if (!this.broken) await this.handle.datasync();
    } finally {
      await this.handle.close().catch(() => undefined);
      await this.lock.release();
    }
  }
}

/**
 * Read the file in chunks (a journal can be larger than the biggest string V8 allows) and split
 * it on newlines. A last line without a newline is a write cut short by a crash: its publish was
 * never acknowledged, so it is cut off. A complete line that does not parse is skipped and counted.
 */
async function readRecords(handle: FileHandle, size: number, visit: RecordVisitor): Promise<Omit<JournalOpenReport, 'created'>> {
  let pos = 0;
  let carry: Buffer = Buffer.alloc(0);
  let goodEnd = 0;
  let corruptLines = 0;
  let lastType: string | undefined;
  const chunk = Buffer.allocUnsafe(READ_CHUNK);
  while (pos < size) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(READ_CHUNK, size - pos), pos);
    if (bytesRead === 0) break;
    const data: Buffer = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : Buffer.from(chunk.subarray(0, bytesRead));
    const dataStart = pos - carry.length;
    pos += bytesRead;
    let lineStart = 0;
    for (let nl = data.indexOf(10, lineStart); nl >= 0; nl = data.indexOf(10, lineStart)) {
      const line = data.toString('utf8', lineStart, nl + 1);
      lineStart = nl + 1;
      goodEnd = dataStart + lineStart;
      let record: JournalRecord | null;
      try {
        record = asRecord(JSON.parse(line));
      } catch {
        record = null;
      }
      if (record) {
        lastType = record.t;
        visit(record, line);
      } else if (line.trim() !== '') {
        corruptLines++;
      }
    }
    carry = data.subarray(lineStart);
  }
  return { bytes: goodEnd, corruptLines, tornBytes: size - goodEnd, cleanClose: lastType === 'c' };
}
