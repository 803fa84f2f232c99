/**
 * Test helper process: opens an event bus on argv[2] with fsync 'always' and publishes without
 * pause, printing the id of every acknowledged publish, until the test kills it with SIGKILL.
 */
import { configFor } from '../../src/config/load-config.js';
import { EmbeddedEventBus } from '../../src/events/embedded-event-bus.js';
import path from 'node:path';

const dir = process.argv[2]!;
const config = configFor({ project_root: dir, storage_path: dir, events: { fsync: 'always' } });
const bus = await EmbeddedEventBus.open({ events: config.events, dir: path.join(dir, 'events') });
let n = 0;
// Several publishes in flight at once, so the kill lands in the middle of group commits.
for (let lane = 0; lane < 8; lane++) {
  void (async () => {
    for (;;) {
      const { event } = await bus.publish({ event_type: 'crash', publisher: 'p', data: { n: n++, pad: 'x'.repeat(500) } });
      process.stdout.write(`${event.event_id}\n`);
    }
  })();
}
