import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand, EXIT } from '../../cli/base-command.js';
import { isProcessAlive, PID_FILE, readPid, STATE_FILE } from '../../server/state-file.js';

export interface StopResult {
  stopped: boolean;
  pid: number | null;
  forced: boolean;
  message: string;
}

export default class Stop extends BaseCommand<typeof Stop> {
  static override summary = 'Stop the sidecar recorded in the storage dir';
  static override examples = ['<%= config.bin %> orchestration stop', '<%= config.bin %> orchestration stop --force --timeout 5'];

  static override flags = {
    force: Flags.boolean({ description: 'SIGKILL at once instead of a graceful SIGTERM' }),
    timeout: Flags.integer({ description: 'Seconds to wait for a graceful stop before SIGKILL', default: 30, min: 1 }),
  };

  async run(): Promise<StopResult> {
    const storage = this.settings().storagePath;
    const pid = await readPid(storage);
    if (pid === undefined || !isProcessAlive(pid)) {
      // A stale pid file (crash, kill -9) is not an error: clean it up.
      await fsp.unlink(path.join(storage, PID_FILE)).catch(() => undefined);
      await fsp.unlink(path.join(storage, STATE_FILE)).catch(() => undefined);
      const message = pid === undefined ? 'No sidecar is running' : `No sidecar is running (removed stale pid file for ${pid})`;
      this.say(message);
      return { stopped: false, pid: pid ?? null, forced: false, message };
    }
    const signalIt = (signal: NodeJS.Signals): void => {
      try { process.kill(pid, signal); } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; }
    };
    signalIt(this.flags.force ? 'SIGKILL' : 'SIGTERM');
    let forced = this.flags.force ?? false;
    const deadline = Date.now() + this.flags.timeout * 1000;
    while (isProcessAlive(pid)) {
      if (Date.now() > deadline && !forced) {
        signalIt('SIGKILL');
        forced = true;
      }
      if (Date.now() > deadline + 5_000) this.error(`Sidecar ${pid} did not exit`, { exit: EXIT.failure });
      await new Promise((r) => setTimeout(r, 50));
    }
    if (forced) {
      await fsp.unlink(path.join(storage, PID_FILE)).catch(() => undefined);
      await fsp.unlink(path.join(storage, STATE_FILE)).catch(() => undefined);
    }
    const message = `Stopped sidecar ${pid}${forced ? ' (killed)' : ''}`;
    this.say(message);
    return { stopped: true, pid, forced, message };
  }
}
