import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisClient } from '../redis/redis-connection.js';
import type { LimiterFactory } from './agent-rate-limiter.js';

/**
 * Rate-limit counters on Redis, shared by every sidecar of the project (spec §10: with Redis the
 * limits are cluster-wide). While Redis cannot answer, each node counts in memory instead
 * (rate-limiter-flexible's insurance limiter): requests keep being limited, per node, rather
 * than refused or let through unlimited.
 *
 * @example new AgentRateLimiter(config.rate_limits, redisLimiters(client, config.project_id))
 */
export function redisLimiters(client: RedisClient, projectId: string): LimiterFactory {
  return (options) =>
    new RateLimiterRedis({
      storeClient: client,
      useRedisPackage: true,
      // Under the project's hash tag, like every other key of the project.
      keyPrefix: `cco:{${projectId}}:${options.keyPrefix}`,
      points: options.points,
      duration: options.duration,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: options.keyPrefix, points: options.points, duration: options.duration }),
    });
}
