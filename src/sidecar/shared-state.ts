import { FileRevocationStore, type RevocationStore } from '../auth/revocations.js';
import { RedisRevocationStore } from '../auth/redis-revocation-store.js';
import type { Config } from '../config/schema.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { AgentRateLimiter } from '../protection/agent-rate-limiter.js';
import { redisLimiters } from '../protection/redis-limiters.js';
import { connectRedis, destroyQuietly, type RedisClient } from '../redis/redis-connection.js';

/** Revocations, rate-limit counters (and the connection leases and gates use): per node when embedded, cluster-wide on Redis (spec §10). */
export interface SharedState {
  revocations: RevocationStore;
  /** Undefined: the app's default (counters in memory). */
  rateLimiter: AgentRateLimiter | undefined;
  /** The shared connection on Redis (leases and gates use it too); undefined when embedded. */
  redis?: { client: RedisClient; url: string } | undefined;
  close(): Promise<void>;
}

/**
 * With `events.backend: "redis"` revocations and rate limits live on the same Redis as the
 * events, on one connection of their own (plus the revocation subscriber); otherwise the
 * revocation file in the storage dir and in-memory counters.
 */
export async function openSharedState(config: Config, logger: ComponentLogger): Promise<SharedState> {
  if (config.events.backend !== 'redis') {
    return { revocations: await FileRevocationStore.open(config.storage_path), rateLimiter: undefined, close: () => Promise.resolve() };
  }
  const url = config.redis.url!;
  const client = await connectRedis({ url, name: `cco-shared-${config.project_id}`, logger });
  try {
    const revocations = await RedisRevocationStore.open({ client, url, projectId: config.project_id, logger });
    return {
      revocations,
      redis: { client, url },
      rateLimiter: new AgentRateLimiter(config.rate_limits, redisLimiters(client, config.project_id)),
      close: () => {
        revocations.close();
        destroyQuietly(client);
        return Promise.resolve();
      },
    };
  } catch (err) {
    destroyQuietly(client);
    throw err;
  }
}
