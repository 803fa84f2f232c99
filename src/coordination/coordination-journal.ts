import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ensureSecureDir, writeFileAtomic } from '../storage/atomic-write.js';

const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The append-only journal of leases and gates (`<storage>/coordination/journal.jsonl`, 0600):
 * one JSON record per line. Appends issued while a write is in flight are written together and
 * share one fdatasync (group commit), so a burst of acquires pays for a few syncs, not one each;
 * every `append` resolves only once its record is durable. A failed write is cut back off the
 * file, so a later open never reads half a record. `compact` replaces the file atomically with a
 * snapshot (records whose replay is idempotent, so records written after the snapshot was taken
 * may repeat what it holds).
 */
export class CoordinationJournal {
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private size: number;
  private closed = false;
  /** While the file is being replaced, appends queue up and are written to the new file after. */
  private compacting = false;
  /** Records appended since the last compaction. */
  appendedSinceCompaction = 0;

  private constructor(
    readonly file: string,
    private handle: FileHandle,
    size: number,
  ) {
    this.size = size;
  }

  /** Reads every complete record (a torn last line is dropped) and opens the file for appends. */
  static async open(dir: string): Promise<{ journal: CoordinationJournal; records: unknown[]; corrupt: number }> {
    await ensureSecureDir(dir);
    const file = path.join(dir, 'journal.jsonl');
    let text = '';
    try {
      const st = await fsp.lstat(file);
      if (!st.isFile()) throw new Error(`Refusing to use ${file}: not a regular file`);
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const records: unknown[] = [];
    let corrupt = 0;
    const end = text.lastIndexOf('\n') + 1;
    for (const line of text.slice(0, end).split('\n')) {
      if (line === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        corrupt++;
      }
    }
    const handle = await fsp.open(file, OPEN_FLAGS, 0o600);
    // A torn tail (a crash mid-write) is cut off before anything is appended after it.
    if (end < Buffer.byteLength(text)) await handle.truncate(Buffer.byteLength(text.slice(0, end)));
    const journal = new CoordinationJournal(file, handle, Buffer.byteLength(text.slice(0, end)));
    return { journal, records, corrupt };
  }

  /** Resolves once the record is on disk. */
  append(record: unknown): Promise<void> {
    if (this.closed) return Promise.reject(new Error('coordination journal is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line: `${JSON.stringify(record)}\n`, resolve, reject });
      this.appendedSinceCompaction++;
      if (!this.compacting) this.writing ??= this.drain();
    });
  }

  /**
   * Replace the file with the records `snapshot()` returns, taken between two group commits
   * (so no write is in flight).
   */
  async compact(snapshot: () => unknown[]): Promise<void> {
    if (this.closed || this.compacting) return;
    while (this.writing) await this.writing;
    this.compacting = true;
    try {
      const data = snapshot()
        .map((r) => `${JSON.stringify(r)}\n`)
        .join('');
      await writeFileAtomic(this.file, data, 0o600);
      const old = this.handle;
      this.handle = await fsp.open(this.file, OPEN_FLAGS, 0o600);
      this.size = Buffer.byteLength(data);
      this.appendedSinceCompaction = 0;
      await old.close().catch(() => undefined);
    } finally {
      this.compacting = false;
      if (this.queue.length > 0) this.writing ??= this.drain();
    }
  }

  async close(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const data = Buffer.from(batch.map((p) => p.line).join(''));
        try {
          await this.handle.write(data);
          await this.handle.datasync();
          this.size += data.length;
          for (const p of batch) p.resolve();
        } catch (err) {
          // Cut the partial batch back off so the next open does not misread it.
          await this.handle.truncate(this.size).catch(() => undefined);
          for (const p of batch) p.reject(err as Error);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}
