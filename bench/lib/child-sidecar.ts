import { promises as fsp } from 'node:fs';

/**
 * In a bench's child process: when the parent sends 'stop', close the sidecar, remove its temp
 * dir and exit (the parent waits for the exit before it starts the next round).
 */
export function closeOnStop(handle: { close(): Promise<void> }, dir: string): void {
  process.on('message', (msg) => {
    if (msg !== 'stop') return;
    void handle
      .close()
      .then(() => fsp.rm(dir, { recursive: true, force: true }))
      .then(() => process.exit(0));
  });
}
