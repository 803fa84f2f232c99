import { constants, createWriteStream, openSync, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';

const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_APPEND;

/**
 * One agent output stream (stdout or stderr) written to a file with a size cap.
 *
 * The pipe is always drained and never paused: a child blocked on a full pipe would stall
 * forever, so past the cap output is read and dropped (counted in `droppedBytes`), with one
 * marker line saying so. Memory stays bounded by the cap, since nothing past it is buffered.
 * The file is created 0600 with O_EXCL|O_NOFOLLOW (no planted symlink is followed).
 */
export class CappedLogSink {
  private readonly out: WriteStream;
  private written = 0;
  private dropped = 0;
  private capped = false;

  constructor(
    readonly file: string,
    private readonly capBytes: number,
  ) {
    this.out = createWriteStream('', { fd: openSync(file, OPEN_FLAGS, 0o600), flags: 'a' });
    // A failing disk must not crash the sidecar: further output is simply dropped.
    this.out.on('error', () => {
      this.capped = true;
    });
  }

  get droppedBytes(): number {
    return this.dropped;
  }

  get writtenBytes(): number {
    return this.written;
  }

  /** Drain `source` into the file until it ends. */
  attach(source: Readable): void {
    source.on('data', (chunk: Buffer) => this.write(chunk));
    source.on('error', () => undefined);
  }

  write(chunk: Buffer): void {
    if (this.capped) {
      this.dropped += chunk.length;
      return;
    }
    const room = this.capBytes - this.written;
    if (chunk.length <= room) {
      this.written += chunk.length;
      this.out.write(chunk);
      return;
    }
    if (room > 0) this.out.write(chunk.subarray(0, room));
    this.written += Math.max(room, 0);
    this.dropped += chunk.length - Math.max(room, 0);
    this.capped = true;
    this.out.write(`\n[cco] log capped at ${this.capBytes} bytes; further output is discarded\n`);
  }

  /** Flush and close the file. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.out.closed || this.out.destroyed) return resolve();
      this.out.end(() => resolve());
      this.out.once('error', () => resolve());
    });
  }
}
