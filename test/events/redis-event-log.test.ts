import { randomUUID } from 'node:crypto';
import { configFor } from '../../src/config/load-config.js';
import type { EventLog } from '../../src/events/event-log.js';
import { RedisEventLog } from '../../src/events/redis/redis-event-log.js';
import { RedisServer } from '../helpers/redis-server.js';
import { eventLogContract } from '../contract/event-log.contract.js';

let server: RedisServer | undefined;
let clock = Date.now();
const projectOf = new Map<EventLog, { projectId: string; bufferSize: number | undefined }>();

async function openOn(projectId: string, bufferSize: number | undefined): Promise<EventLog> {
  server ??= await RedisServer.start();
  const config = configFor({ project_root: '/nonexistent', storage_path: '/nonexistent' });
  // Capacities below the config's minimum keep the trim tests small.
  const events = bufferSize !== undefined ? { ...config.events, buffer_size: bufferSize } : config.events;
  const log = await RedisEventLog.open({ events, url: server.url, projectId, now: () => clock });
  projectOf.set(log, { projectId, bufferSize });
  return log;
}

eventLogContract('redis streams', {
  // Each log gets its own project, hence its own stream on the one server.
  open: (options = {}) => openOn(`p-${randomUUID()}`, options.bufferSize),
  async reopen(log) {
    const { projectId, bufferSize } = projectOf.get(log)!;
    return openOn(projectId, bufferSize);
  },
  advance(ms) {
    clock += ms;
  },
  async cleanup() {
    await server?.stop();
    server = undefined;
  },
});
