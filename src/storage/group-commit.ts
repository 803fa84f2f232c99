import { ftruncateSync, writeSync } from 'node:fs';

/**
 * Group commit, the one copy shared by the event journal and the audit log: one loop writes a
 * batch at a time; whatever is requested while a batch's write (and fdatasync) is in flight
 * gathers into the next batch, so under load many requests share one durable write.
 *
 * @example
 * const loop = new GroupCommitLoop(() => this.queue.length > 0, () => this.writeNextBatch());
 * this.queue.push(line); loop.kick();
 */
export class GroupCommitLoop {
  private running: Promise<void> | undefined;

  /**
   * @param hasWork whether another batch is waiting
   * @param writeBatch takes what is waiting and writes it (it owns its own error handling)
   * @param canRun the loop starts (and restarts) only while this holds, e.g. not while opening
   */
  constructor(
    private readonly hasWork: () => boolean,
    private readonly writeBatch: () => Promise<void>,
    private readonly canRun: () => boolean = () => true,
  ) {}

  /** A batch is being gathered or written. */
  get active(): boolean {
    return this.running !== undefined;
  }

  /** Start the loop unless it runs already. */
  kick(): void {
    if (this.running || !this.canRun()) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.hasWork()) this.kick();
    });
  }

  /** Resolves once nothing is being written (work queued meanwhile is written first). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    // Let every request that arrives in this turn of the event loop (all the requests parsed in
    // one poll phase) join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.hasWork()) await this.writeBatch();
  }
}

/** How an all-or-nothing append ended. */
export type AppendOutcome = { ok: true } | { ok: false; error: unknown; rolledBack: boolean };

/**
 * Append `data` to the append-mode file `fd`, whose size is `sizeBefore`: whole or not at all.
 * A partial write (ENOSPC mid-way) is cut back, so the file never holds a torn line for the next
 * open to misread; `rolledBack: false` means the cut failed too and the file must not be
 * appended to again.
 *
 * Synchronous on purpose: appending a batch is a page-cache copy of a few kilobytes
 * (microseconds), while an async write costs a thread-pool round trip per batch (~50 µs of CPU
 * per request measured at low concurrency). Only fdatasync, which waits for the device, goes to
 * the thread pool.
 */
export function appendWhole(fd: number, data: Uint8Array, sizeBefore: number): AppendOutcome {
  let written = 0;
  try {
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    return { ok: true };
  } catch (error) {
    if (written === 0) return { ok: false, error, rolledBack: true };
    try {
      ftruncateSync(fd, sizeBefore);
      return { ok: false, error, rolledBack: true };
    } catch {
      return { ok: false, error, rolledBack: false };
    }
  }
}
