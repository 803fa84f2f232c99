import { memoryLimiters } from '../../src/protection/agent-rate-limiter.js';
import { rateLimitStoreContract } from '../contract/rate-limit-store.contract.js';

let n = 0;

rateLimitStoreContract('in-memory (rate-limiter-flexible RateLimiterMemory)', {
  factory: memoryLimiters,
  uniquePrefix: () => `mem-${process.pid}-${++n}`,
  cleanup: async () => undefined,
});
