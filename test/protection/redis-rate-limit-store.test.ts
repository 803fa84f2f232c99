import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { redisLimiters } from '../../src/protection/redis-limiters.js';
import { connectRedis, destroyQuietly, type RedisClient } from '../../src/redis/redis-connection.js';
import { RedisServer } from '../helpers/redis-server.js';
import { rateLimitStoreContract } from '../contract/rate-limit-store.contract.js';

describe('rate-limit store on redis', () => {
  let server: RedisServer;
  let client: RedisClient;
  before(async () => {
    server = await RedisServer.start();
    client = await connectRedis({ url: server.url, name: 'test' });
  });

  let n = 0;
  rateLimitStoreContract('redis (rate-limiter-flexible RateLimiterRedis)', {
    factory: (options): RateLimiterAbstract => redisLimiters(client, 'contract')(options),
    uniquePrefix: () => `redis-${process.pid}-${++n}`,
    async cleanup() {
      destroyQuietly(client);
      await server.stop();
    },
  });
});
