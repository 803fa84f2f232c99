import { EmbeddedEventLog, type EmbeddedEventLogOptions } from './embedded-event-log.js';
import { EventBusCore } from './event-bus-core.js';

export type EmbeddedEventBusOptions = EmbeddedEventLogOptions;

/**
 * The embedded event bus: the shared bus policy (`EventBusCore`) over the embedded log (an
 * in-memory ring backed by an append-only journal, `EmbeddedEventLog`).
 *
 * @example
 * const bus = await EmbeddedEventBus.open({ events: config.events, dir: journalDir(config.storage_path) });
 */
export class EmbeddedEventBus extends EventBusCore {
  /** Open (or create) the journal in `options.dir` and rebuild the buffer, dead letters and epoch from it. */
  static async open(options: EmbeddedEventBusOptions): Promise<EmbeddedEventBus> {
    const log = await EmbeddedEventLog.open(options);
    return new EmbeddedEventBus(log, { events: options.events, ...(options.logger ? { logger: options.logger } : {}) });
  }
}

export { journalDir } from './embedded-event-log.js';
