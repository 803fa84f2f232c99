import { expect } from 'chai';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { AgentRateLimiter, type LimiterFactory } from '../../src/protection/agent-rate-limiter.js';

/** How the suite gets the limiter store of one implementation (memory and Redis). */
export interface RateLimitStoreHarness {
  factory: LimiterFactory;
  /** A prefix no other run of the suite uses (a shared store keeps counters between runs). */
  uniquePrefix(): string;
  cleanup(): Promise<void>;
}

async function refusal(p: Promise<unknown>): Promise<RateLimiterRes> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(RateLimiterRes);
    return err as RateLimiterRes;
  }
  throw new Error('expected a refusal');
}

/**
 * The fixed-window behaviour the rate-limit policy relies on (spec §3), shown by every limiter
 * store the `LimiterFactory` can return.
 */
export function rateLimitStoreContract(name: string, harness: RateLimitStoreHarness): void {
  describe(`rate-limit store contract: ${name}`, () => {
    after(() => harness.cleanup());

    it('allows `points` per window, then refuses with the time until the window resets', async () => {
      const limiter = harness.factory({ keyPrefix: harness.uniquePrefix(), points: 3, duration: 60 });
      const left = [];
      for (let i = 0; i < 3; i++) left.push((await limiter.consume('agent')).remainingPoints);
      expect(left).to.deep.equal([2, 1, 0]);
      const refused = await refusal(limiter.consume('agent'));
      expect(refused.msBeforeNext).to.be.above(0).and.at.most(60_000);
    });

    it('counts each key and each prefix on its own', async () => {
      const prefix = harness.uniquePrefix();
      const a = harness.factory({ keyPrefix: `${prefix}-a`, points: 1, duration: 60 });
      const b = harness.factory({ keyPrefix: `${prefix}-b`, points: 1, duration: 60 });
      await a.consume('agent');
      await refusal(a.consume('agent'));
      expect((await a.consume('other-agent')).remainingPoints).to.equal(0);
      expect((await b.consume('agent')).remainingPoints).to.equal(0);
    });

    it('opens the window again once it has passed', async () => {
      const limiter = harness.factory({ keyPrefix: harness.uniquePrefix(), points: 1, duration: 1 });
      await limiter.consume('agent');
      const refused = await refusal(limiter.consume('agent'));
      await new Promise((r) => setTimeout(r, refused.msBeforeNext + 50));
      expect((await limiter.consume('agent')).remainingPoints).to.equal(0);
    });

    it('gives the agent limiter its burst and minute windows', async () => {
      // A policy of its own (the key prefix carries the policy name), so shared stores do not mix runs.
      const agentType = `contract-${harness.uniquePrefix()}`;
      const limiter = new AgentRateLimiter({ [agentType]: { points_per_minute: 6, burst: 2 } }, harness.factory);
      const token = { sub: 'agent-1', agent_type: agentType, permissions: new Set<string>() };
      const decisions = [await limiter.consume(token), await limiter.consume(token), await limiter.consume(token)];
      expect(decisions.map((d) => d?.allowed)).to.deep.equal([true, true, false]);
      expect(decisions[2]).to.include({ window: 'burst', limit: 6, remaining: 0 });
      expect(decisions[2]!.retryAfterSeconds).to.be.within(1, 20);
    });
  });
}
