import { randomUUID } from 'node:crypto';
import { configFor } from '../../src/config/load-config.js';
import { RedisEventBus } from '../../src/events/redis-event-bus.js';
import { RedisServer } from '../helpers/redis-server.js';
import { eventBusContract } from '../contract/event-bus.contract.js';

let server: RedisServer | undefined;

eventBusContract('redis (core over redis streams)', {
  async open(events = {}) {
    server ??= await RedisServer.start();
    const config = configFor({ project_root: '/nonexistent', storage_path: '/nonexistent', events });
    return RedisEventBus.open({ events: config.events, url: server.url, projectId: `p-${randomUUID()}` });
  },
  async cleanup() {
    await server?.stop();
    server = undefined;
  },
});
