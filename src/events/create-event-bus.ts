import type { Config } from '../config/schema.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { EmbeddedEventBus, journalDir } from './embedded-event-bus.js';
import type { EventBus } from './event-bus.js';

export interface CreateEventBusOptions {
  config: Config;
  /** Storage root; the journal lives in `<storageDir>/events`. Default `config.storage_path`. */
  storageDir?: string;
  logger?: ComponentLogger;
  /** Clock in epoch ms; tests use it to drive TTL expiry. */
  now?: () => number;
}

/**
 * Build the event bus the configuration asks for. Today that is always the shared policy over
 * the embedded log (ring buffer + journal); a distributed log plugs in here behind `EventLog`.
 *
 * @example const bus = await createEventBus({ config });
 */
export async function createEventBus(options: CreateEventBusOptions): Promise<EventBus> {
  return EmbeddedEventBus.open({
    events: options.config.events,
    dir: journalDir(options.storageDir ?? options.config.storage_path),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
