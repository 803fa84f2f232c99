import { constants, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { AuditUnavailableError, StorageWriteError, type AppError } from '../errors/index.js';
import { isDiskFull } from '../storage/atomic-write.js';
import { appendWhole, GroupCommitLoop } from '../storage/group-commit.js';
import type { ComponentHealth } from '../server/app-deps.js';
import { auditLine, type AuditRecord } from './audit-entry.js';

/**
 * Where security-relevant facts are recorded. Other modules call `record` for what HTTP
 * middleware cannot see (an agent killed on timeout, a spawn's pid, …) and must not perform a
 * security-relevant action whose `record` rejected: it rejects with the contract error to answer
 * (507 STR_001 when the disk is full, 503 AUD_001 otherwise).
 *
 * @example
 * await deps.audit.record({ ...auditActor(ctx), action: 'agent.kill', resource: `agent:${id}`, outcome: 'intent' });
 * killProcessGroup(pid);
 */
export interface AuditSink {
  /**
   * Append one line. Resolves once it is written (and fdatasync'ed with `sync: 'always'`).
   * `deferred`: the caller does not wait for it (an outcome line): it may go out with the next
   * line or batch instead of costing a write of its own; the promise still reports the result.
   */
  record(entry: AuditRecord, options?: { deferred?: boolean }): Promise<void>;
  /** `degraded` while the last write failed (until one succeeds again). */
  health(): ComponentHealth;
  close(): Promise<void>;
}

export interface AuditLogOptions {
  /** `<storage>/audit.log`. */
  file: string;
  /** Rotate before a write would make the file larger than this. */
  maxFileBytes: number;
  /** Rotated files kept: audit.log.1 (newest) … audit.log.<maxFiles> (oldest). */
  maxFiles: number;
  /**
   * `always`: fdatasync every batch before the request goes on (~6 ms per sequential request on
   * this machine's disk). `interval` (default): lines reach the page cache before the request goes
   * on (so they survive a crash of the sidecar, and a full disk is still refused up front) and are
   * fdatasync'ed every `syncIntervalMs`, bounding what a power loss can take.
   */
  sync?: 'always' | 'interval';
  syncIntervalMs?: number;
}

interface Pending {
  line: Buffer;
  resolve: () => void;
  reject: (err: AppError) => void;
}

const RESOLVED = Promise.resolve();

/** The contract error a refused request gets when its audit line cannot be written. */
function refusalFor(err: unknown): AppError {
  return isDiskFull(err)
    ? new StorageWriteError('Storage is full: the audit log cannot be written, so the request was refused', true)
    : new AuditUnavailableError();
}

const OPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/**
 * Append-only JSON-lines audit log with size-based rotation.
 *
 * Concurrent records are group-committed: every record waiting while a batch is written goes out
 * in the next single write (+ fdatasync with `sync: 'always'`), so the cost per request falls as load rises. A batch is
 * all-or-nothing: if the disk fills mid-write the file is truncated back to its previous size, so
 * the log never holds a torn line, and the next batch writes normally once space is back.
 * The file is opened O_NOFOLLOW (a planted symlink is refused) and forced to mode 0600.
 */
export class AuditLog implements AuditSink {
  private handle: FileHandle | undefined;
  private size = 0;
  private queue: Pending[] = [];
  private readonly loop = new GroupCommitLoop(
    () => this.queue.length > 0,
    () => this.writeNextBatch(),
  );
  /** A batch is being written (rotation, open or fdatasync may be in flight): later lines queue. */
  private writing = false;
  private lastFailed = false;
  private closed = false;
  private syncTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly options: AuditLogOptions) {}

  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const log = new AuditLog(options);
    await log.openFile();
    return log;
  }

  record(record: AuditRecord, options: { deferred?: boolean } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new AuditUnavailableError('The audit log is closed; the request was refused'));
    const line = Buffer.from(auditLine(record));
    // Without a per-batch fdatasync there is nothing to share by waiting: a line someone waits
    // for is appended at once (a few µs) together with the deferred lines queued before it, so
    // the request goes on without a turn of the loop and order is kept.
    if (!options.deferred && this.options.sync !== 'always' && !this.writing && this.handle) {
      const queued = this.queue;
      const data = queued.length === 0 ? line : Buffer.concat([...queued.map((p) => p.line), line]);
      if (!this.mustRotate(data.length)) {
        this.queue = [];
        try {
          this.append(this.handle, data);
        } catch (err) {
          this.lastFailed = true;
          const refusal = refusalFor(err);
          for (const p of queued) p.reject(refusal);
          return Promise.reject(refusal);
        }
        this.lastFailed = false;
        for (const p of queued) p.resolve();
        return RESOLVED;
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.loop.kick();
    });
  }

  health(): ComponentHealth {
    return this.lastFailed || this.closed ? 'degraded' : 'ok';
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.loop.idle();
    clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    await this.handle?.datasync().catch(() => undefined);
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  /** One group-committed batch: everything queued while the previous one was written. */
  private async writeNextBatch(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.writing = true;
    try {
      await this.writeBatch(Buffer.concat(batch.map((p) => p.line)));
      this.lastFailed = false;
      for (const p of batch) p.resolve();
    } catch (err) {
      this.lastFailed = true;
      const refusal = refusalFor(err);
      for (const p of batch) p.reject(refusal);
    } finally {
      this.writing = false;
    }
  }

  private async writeBatch(data: Buffer): Promise<void> {
    if (this.mustRotate(data.length)) await this.rotate();
    if (!this.handle) await this.openFile();
    const handle = this.handle!;
    this.append(handle, data);
    if (this.options.sync === 'always') await handle.datasync();
  }

  private mustRotate(bytes: number): boolean {
    return this.size > 0 && this.size + bytes > this.options.maxFileBytes;
  }

  /** Synchronous and all or nothing (`appendWhole`): no torn line stays behind. */
  private append(handle: FileHandle, data: Buffer): void {
    const outcome = appendWhole(handle.fd, data, this.size);
    // A failed cut-back is not fatal here: the next open's size check still holds.
    if (!outcome.ok) throw outcome.error;
    this.size += data.length;
    if (this.options.sync !== 'always') this.scheduleSync();
  }

  private scheduleSync(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      // A failed background sync (EIO, late ENOSPC) is reported through health().
      this.handle?.datasync().catch(() => {
        this.lastFailed = true;
      });
    }, this.options.syncIntervalMs ?? 1_000);
    this.syncTimer.unref();
  }

  private async openFile(): Promise<void> {
    const handle = await fsp.open(this.options.file, OPEN_FLAGS, 0o600);
    let st: Stats;
    try {
      st = await handle.stat();
      if (!st.isFile()) throw new Error(`${this.options.file} is not a regular file`);
      // An existing file keeps its mode on open; never leave the audit log readable by others.
      if ((st.mode & 0o777) !== 0o600) await handle.chmod(0o600);
    } catch (err) {
      await handle.close();
      throw err;
    }
    this.handle = handle;
    this.size = st.size;
  }

  /** audit.log → audit.log.1 → … → audit.log.<maxFiles> (the oldest is replaced). */
  private async rotate(): Promise<void> {
    await this.handle?.datasync().catch(() => undefined);
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    const { file, maxFiles } = this.options;
    for (let i = maxFiles - 1; i >= 1; i--) {
      await fsp.rename(`${file}.${i}`, `${file}.${i + 1}`).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    await fsp.rename(file, `${file}.1`);
    await this.openFile();
  }
}
