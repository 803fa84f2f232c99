import { expect } from 'chai';
import path from 'node:path';
import { configFor } from '../../src/config/load-config.js';
import { EmbeddedEventLog } from '../../src/events/embedded-event-log.js';
import { EventBusCore } from '../../src/events/event-bus-core.js';
import type { EventLog, LogPage, LogReadOptions } from '../../src/events/event-log.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { eventBusContract } from '../contract/event-bus.contract.js';

/**
 * The embedded log, but answering every read a turn of the event loop later, as a log that reads
 * over the network (Redis XRANGE) does: the core must then register waits only after the read
 * and re-read when the head moved meanwhile. The same bus contract must hold.
 */
function withAsyncReads(inner: EventLog): EventLog {
  const read = (options: LogReadOptions): Promise<LogPage> =>
    new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(inner.read(options));
        } catch (err) {
          reject(err);
        }
      });
    });
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'read') return read;
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const dirs: string[] = [];

eventBusContract('core over a log with asynchronous reads', {
  async open(events = {}) {
    const dir = await makeTempDir('cco-async-log-');
    dirs.push(dir);
    const config = configFor({ project_root: dir, storage_path: dir, events });
    const log = await EmbeddedEventLog.open({ events: config.events, dir: path.join(dir, 'events') });
    return new EventBusCore(withAsyncReads(log), { events: config.events });
  },
  async cleanup() {
    for (const dir of dirs.splice(0)) await removeDir(dir);
  },
});

describe('EventBusCore over a log whose reads arrive late', () => {
  after(async () => {
    for (const dir of dirs.splice(0)) await removeDir(dir);
  });

  it('reads again when events were appended while a read was in flight, so a wait misses nothing', async () => {
    const dir = await makeTempDir('cco-late-read-');
    dirs.push(dir);
    const config = configFor({ project_root: dir, storage_path: dir });
    const inner = await EmbeddedEventLog.open({ events: config.events, dir: path.join(dir, 'events') });
    // The read sees the log as it is now, but its answer arrives only after a publish committed.
    const lateReads = new Proxy(inner, {
      get(target, key, receiver) {
        if (key === 'read') {
          return (options: LogReadOptions): Promise<LogPage> => {
            const page = target.read(options);
            return new Promise((resolve) => setTimeout(() => resolve(page), 50));
          };
        }
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const bus = new EventBusCore(lateReads, { events: config.events });
    try {
      const waiting = bus.wait({ eventType: 'x', subscriberId: 's', since: 'now', timeoutMs: 2000 });
      const published = await bus.publish({ event_type: 'x', publisher: 'p' });
      const result = await waiting;
      expect(result.timeout).to.equal(undefined);
      expect(result.events.map((e) => e.event_id)).to.deep.equal([published.event.event_id]);
    } finally {
      await bus.close();
    }
  });
});
