import { EventBusCore } from './event-bus-core.js';
import { RedisEventLog, type RedisEventLogOptions } from './redis/redis-event-log.js';

export type RedisEventBusOptions = RedisEventLogOptions;

/**
 * The event bus of a cluster: the shared bus policy (`EventBusCore`) over a Redis Streams log
 * that every sidecar of the project on that Redis shares (`RedisEventLog`).
 *
 * @example
 * const bus = await RedisEventBus.open({ events: config.events, url: config.redis.url!, projectId: config.project_id! });
 */
export class RedisEventBus extends EventBusCore {
  static async open(options: RedisEventBusOptions): Promise<RedisEventBus> {
    const log = await RedisEventLog.open(options);
    return new RedisEventBus(log, { events: options.events, ...(options.logger ? { logger: options.logger } : {}) });
  }
}
