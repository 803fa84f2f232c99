import type { Config } from '../config/schema.js';
import { EmbeddedEventBus, journalDir, type BusLogger } from './embedded-event-bus.js';
import type { EventBus } from './event-bus.js';

export interface CreateEventBusOptions {
  config: Config;
  /** Storage root; the journal lives in `<storageDir>/events`. Default `config.storage_path`. */
  storageDir?: string;
  logger?: BusLogger;
  /** Clock in epoch ms; tests use it to drive TTL expiry. */
  now?: () => number;
}

/**
 * Build the event bus the configuration asks for. Today that is always the embedded backend
 * (ring buffer + journal); a distributed backend plugs in here behind the same `EventBus`.
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
