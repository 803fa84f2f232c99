import { execFile } from 'node:child_process';
import { open, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, removeDir } from './temp-dir.js';

const run = promisify(execFile);

export interface SmallDisk {
  dir: string;
  /** Write a filler file until the file system refuses with ENOSPC. */
  fill(): Promise<void>;
  /** Remove the filler: space is back. */
  release(): Promise<void>;
  unmount(): Promise<void>;
}

/**
 * A real, tiny file system (tmpfs) to run out of space on, or the reason it cannot be had here
 * (mounting needs root or CAP_SYS_ADMIN).
 */
export async function mountSmallDisk(sizeMb: number): Promise<SmallDisk | { unavailable: string }> {
  const dir = await makeTempDir('cco-tmpfs-');
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', dir]);
  } catch (err) {
    await removeDir(dir);
    return { unavailable: `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})` };
  }
  const filler = path.join(dir, 'filler.bin');
  return {
    dir,
    async fill() {
      const handle = await open(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) {
          let size = chunk.length;
          // Shrink the chunk near the end so the last bytes are used too.
          for (;;) {
            try {
              await handle.write(chunk, 0, size);
              break;
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
              if (size === 1) return;
              size = Math.max(1, size >> 1);
            }
          }
        }
      } finally {
        await handle.close();
      }
    },
    async release() {
      await unlink(filler).catch(() => undefined);
    },
    async unmount() {
      await run('umount', ['-l', dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
