/**
 * Test helper process: opens an event bus on the Redis at argv[2] for project argv[3] and
 * publishes without pause on 8 lanes, printing the id of every acknowledged publish, until the
 * test kills it with SIGKILL.
 */
import { configFor } from '../../src/config/load-config.js';
import { RedisEventBus } from '../../src/events/redis-event-bus.js';

const config = configFor({ project_root: '/nonexistent', storage_path: '/nonexistent' });
const bus = await RedisEventBus.open({ events: config.events, url: process.argv[2]!, projectId: process.argv[3]! });
let n = 0;
for (let lane = 0; lane < 8; lane++) {
  void (async () => {
    for (;;) {
      const { event } = await bus.publish({ event_type: 'crash', publisher: 'p', data: { n: n++, pad: 'x'.repeat(500) } });
      process.stdout.write(`${event.event_id}\n`);
    }
  })();
}
