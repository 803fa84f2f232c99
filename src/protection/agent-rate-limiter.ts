import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config/schema.js';
import { policyFor, type RateLimitPolicy } from './rate-limit-policy.js';

/**
 * Builds one fixed-window limiter. The default keeps counters in memory; a cluster passes a
 * factory returning `new RateLimiterRedis({ storeClient, ...options })` and nothing else changes.
 */
export type LimiterFactory = (options: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (options) => new RateLimiterMemory(options);

/** The outcome of counting one request, with what the `X-RateLimit-*` headers say. */
export interface RateDecision {
  allowed: boolean;
  policy: RateLimitPolicy;
  /** Requests per minute (X-RateLimit-Limit). */
  limit: number;
  /** Requests that would be accepted right now (X-RateLimit-Remaining). */
  remaining: number;
  /** Unix seconds at which `remaining` next rises (X-RateLimit-Reset). */
  resetAt: number;
  /** When refused: seconds until a request can succeed, and which window refused it. */
  retryAfterSeconds: number;
  window?: 'minute' | 'burst';
}

interface PolicyLimiters {
  minute: RateLimiterAbstract;
  burst: RateLimiterAbstract;
}

type Settled = { ok: true; res: RateLimiterRes } | { ok: false; res: RateLimiterRes };

async function settle(p: Promise<RateLimiterRes>): Promise<Settled> {
  try {
    return { ok: true, res: await p };
  } catch (err) {
    // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, with an Error when
    // its store fails; only the former is a refusal.
    if (err instanceof RateLimiterRes) return { ok: false, res: err };
    throw err;
  }
}

/**
 * Per-token rate limiting by agent category (spec §3). Counters are keyed by the token's `sub`,
 * so one agent spending its budget never touches another's. A request counts once, however long
 * it then waits (a long-poll is one request).
 *
 * @example
 * const limiter = new AgentRateLimiter(config.rate_limits);
 * const decision = await limiter.consume(auth); // null: unlimited
 */
export class AgentRateLimiter {
  private readonly limiters = new Map<string, PolicyLimiters>();

  constructor(
    private readonly overrides: Readonly<Record<string, RateLimitConfig>>,
    private readonly factory: LimiterFactory = memoryLimiters,
  ) {}

  /** Count one request for this token; null when its policy is unlimited. */
  async consume(token: { sub: string; agent_type: string; permissions: ReadonlySet<string> }): Promise<RateDecision | null> {
    const policy = policyFor(token, this.overrides);
    if (!policy) return null;
    const limiters = this.limitersFor(policy);
    const nowMs = Date.now();
    const refuse = (res: RateLimiterRes, window: 'minute' | 'burst'): RateDecision => ({
      allowed: false,
      policy,
      limit: policy.pointsPerMinute,
      remaining: 0,
      window,
      resetAt: Math.ceil((nowMs + res.msBeforeNext) / 1000),
      retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    });
    // Burst first: a request refused by the burst window does not spend the minute's budget.
    const burst = await settle(limiters.burst.consume(token.sub));
    if (!burst.ok) return refuse(burst.res, 'burst');
    const minute = await settle(limiters.minute.consume(token.sub));
    if (!minute.ok) return refuse(minute.res, 'minute');
    const minuteLeft = minute.res.remainingPoints;
    const burstLeft = burst.res.remainingPoints;
    // Remaining rises when the binding window resets: the minute window while it is the smaller
    // budget (a burst reset would not help), else the burst window.
    const resetMs = minuteLeft <= burstLeft ? minute.res.msBeforeNext : burst.res.msBeforeNext;
    return {
      allowed: true,
      policy,
      limit: policy.pointsPerMinute,
      remaining: Math.min(minuteLeft, burstLeft),
      resetAt: Math.ceil((nowMs + resetMs) / 1000),
      retryAfterSeconds: 0,
    };
  }

  private limitersFor(policy: RateLimitPolicy): PolicyLimiters {
    // One pair per distinct policy; the key prefix carries the numbers so a config change never
    // mixes counters of different sizes in a shared store.
    const id = `${policy.name}:${policy.pointsPerMinute}:${policy.burstPoints}:${policy.burstWindowSeconds}`;
    let pair = this.limiters.get(id);
    if (!pair) {
      pair = {
        minute: this.factory({ keyPrefix: `cco-rl-min:${id}`, points: policy.pointsPerMinute, duration: 60 }),
        burst: this.factory({ keyPrefix: `cco-rl-burst:${id}`, points: policy.burstPoints, duration: policy.burstWindowSeconds }),
      };
      this.limiters.set(id, pair);
    }
    return pair;
  }
}
