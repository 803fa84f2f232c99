import type { Config } from '../config/schema.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { EmbeddedEventBus, journalDir } from './embedded-event-bus.js';
import type { EventBus } from './event-bus.js';
import { RedisEventBus } from './redis-event-bus.js';

export interface CreateEventBusOptions {
  config: Config;
  /** Storage root; the journal lives in `<storageDir>/events`. Default `config.storage_path`. */
  storageDir?: string;
  logger?: ComponentLogger;
  /** Clock in epoch ms; tests use it to drive TTL expiry. */
  now?: () => number;
}

/**
 * Build the event bus the configuration asks for: the shared policy over the embedded log (ring
 * buffer + journal) or, with `events.backend: "redis"`, over the project's Redis stream.
 *
 * @example const bus = await createEventBus({ config });
 */
export async function createEventBus(options: CreateEventBusOptions): Promise<EventBus> {
  const { config } = options;
  if (config.events.backend === 'redis') {
    return RedisEventBus.open({
      events: config.events,
      url: config.redis.url!,
      projectId: config.project_id,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }
  return EmbeddedEventBus.open({
    events: options.config.events,
    dir: journalDir(options.storageDir ?? options.config.storage_path),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
