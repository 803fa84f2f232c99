import { Flags } from '@oclif/core';
import { BaseCommand, EXIT } from '../../cli/base-command.js';
import { readSidecarOwner, removeStaleState } from '../../sidecar/state-file.js';
import { isOwnerAlive, signalOwner } from '../../storage/pid-lock.js';

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
    const owner = await readSidecarOwner(storage);
    // Only the recorded sidecar is ever signalled: a pid now held by another process (start time
    // differs) means the sidecar is gone and its files are stale.
    const first = owner ? signalOwner(owner, this.flags.force ? 'SIGKILL' : 'SIGTERM') : 'gone';
    if (first === 'not_permitted') this.error(`Not allowed to signal sidecar ${owner!.pid} (it runs as another user)`, { exit: EXIT.failure });
    if (!owner || first !== 'sent') {
      await removeStaleState(storage);
      const message = !owner
        ? 'No sidecar is running'
        : first === 'not_recorded_process'
          ? `No sidecar is running (pid ${owner.pid} now belongs to another process; removed the stale pid file)`
          : `No sidecar is running (removed stale pid file for ${owner.pid})`;
      this.say(message);
      return { stopped: false, pid: owner?.pid ?? null, forced: false, message };
    }
    let forced = this.flags.force ?? false;
    const deadline = Date.now() + this.flags.timeout * 1000;
    while (isOwnerAlive(owner)) {
      if (Date.now() > deadline && !forced) {
        signalOwner(owner, 'SIGKILL');
        forced = true;
      }
      if (Date.now() > deadline + 5_000) this.error(`Sidecar ${owner.pid} did not exit`, { exit: EXIT.failure });
      await new Promise((r) => setTimeout(r, 50));
    }
    if (forced) await removeStaleState(storage);
    const message = `Stopped sidecar ${owner.pid}${forced ? ' (killed)' : ''}`;
    this.say(message);
    return { stopped: true, pid: owner.pid, forced, message };
  }
}
