import type { Next } from 'koa';
import { RateLimitError } from '../../errors/index.js';
import type { AgentRateLimiter } from '../../protection/agent-rate-limiter.js';
import type { AppContext } from '../app-types.js';

/**
 * On the protected router, after `authenticate` and before the body is parsed: counts the request
 * against the token's budget (spec §3). Every limited answer carries `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining` and `X-RateLimit-Reset` (unix seconds), error answers included;
 * unlimited tokens (admin, architects by default) get none. Over budget → 429 RATE_001 with
 * `retry_after_seconds`, `limit` and `Retry-After`.
 */
export function rateLimit(limiter: AgentRateLimiter) {
  return async function rateLimitMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const auth = ctx.state.auth;
    if (!auth) {
      await next();
      return;
    }
    const decision = await limiter.consume(auth);
    if (decision) {
      ctx.set('X-RateLimit-Limit', String(decision.limit));
      ctx.set('X-RateLimit-Remaining', String(decision.remaining));
      ctx.set('X-RateLimit-Reset', String(decision.resetAt));
      if (!decision.allowed) {
        const { policy } = decision;
        throw new RateLimitError(
          `Rate limit exceeded: ${policy.pointsPerMinute} requests/min, at most ${policy.burstPoints} per ${policy.burstWindowSeconds} s`,
          decision.retryAfterSeconds,
          decision.limit,
          { window: decision.window, burst: policy.burstPoints, burst_window_seconds: policy.burstWindowSeconds, policy: policy.name },
        );
      }
    }
    await next();
  };
}
