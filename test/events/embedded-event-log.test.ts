import path from 'node:path';
import { configFor } from '../../src/config/load-config.js';
import { EmbeddedEventLog } from '../../src/events/embedded-event-log.js';
import type { EventLog } from '../../src/events/event-log.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { eventLogContract } from '../contract/event-log.contract.js';

const dirs: string[] = [];
let clock = Date.now();
const dirOf = new Map<EventLog, { dir: string; bufferSize: number | undefined }>();

async function openAt(dir: string, bufferSize: number | undefined): Promise<EventLog> {
  const config = configFor({ project_root: dir, storage_path: dir });
  // Capacities below the config's minimum keep the trim tests small.
  const events = bufferSize !== undefined ? { ...config.events, buffer_size: bufferSize } : config.events;
  const log = await EmbeddedEventLog.open({ events, dir: path.join(dir, 'events'), now: () => clock });
  dirOf.set(log, { dir, bufferSize });
  return log;
}

eventLogContract('embedded ring + journal', {
  async open(options = {}) {
    const dir = await makeTempDir('cco-event-log-');
    dirs.push(dir);
    return openAt(dir, options.bufferSize);
  },
  async reopen(log) {
    const { dir, bufferSize } = dirOf.get(log)!;
    return openAt(dir, bufferSize);
  },
  advance(ms) {
    clock += ms;
  },
  async cleanup() {
    for (const dir of dirs.splice(0)) await removeDir(dir);
  },
});
