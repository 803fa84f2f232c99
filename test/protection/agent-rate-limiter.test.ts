import { expect } from 'chai';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { AgentRateLimiter, type LimiterFactory } from '../../src/protection/agent-rate-limiter.js';
import { policyFor, resolvePolicy } from '../../src/protection/rate-limit-policy.js';

const token = (sub: string, agent_type: string, permissions: string[] = []) => ({ sub, agent_type, permissions: new Set(permissions) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate-limit policy', () => {
  it('applies the spec defaults by category', () => {
    expect(policyFor(token('a', 'python-specialist'), {})).to.deep.equal({ name: 'coding', pointsPerMinute: 60, burstPoints: 10, burstWindowSeconds: 10 });
    expect(policyFor(token('a', 'qa-engineer'), {})).to.include({ name: 'test', pointsPerMinute: 60, burstPoints: 10 });
    expect(policyFor(token('a', 'security-auditor'), {})).to.include({ name: 'security', pointsPerMinute: 60, burstPoints: 10 });
    expect(policyFor(token('a', 'devops-engineer'), {})).to.include({ name: 'devops', pointsPerMinute: 60, burstPoints: 10 });
    expect(policyFor(token('a', 'documentation-writer'), {})).to.deep.equal({
      name: 'documentation',
      pointsPerMinute: 30,
      burstPoints: 5,
      burstWindowSeconds: 10,
    });
    expect(policyFor(token('a', 'customer-support'), {})).to.include({ name: 'support', pointsPerMinute: 30, burstPoints: 5 });
    expect(policyFor(token('a', 'mystery'), {})).to.include({ name: 'default', pointsPerMinute: 30, burstPoints: 5 });
  });

  it('leaves architects and admin tokens unlimited', () => {
    expect(policyFor(token('a', 'chief-architect'), {})).to.equal(null);
    expect(policyFor(token('a', 'python-specialist', ['admin']), {})).to.equal(null);
  });

  it('takes overrides by exact agent type first, then category, then "admin"', () => {
    const overrides = { 'python-specialist': { points_per_minute: 120, burst: 20 }, coding: { points_per_minute: 10 }, admin: { points_per_minute: 1000 } };
    expect(policyFor(token('a', 'python-specialist'), overrides)).to.include({ name: 'python-specialist', pointsPerMinute: 120, burstPoints: 20 });
    expect(policyFor(token('a', 'rust-specialist'), overrides)).to.include({ name: 'coding', pointsPerMinute: 10, burstPoints: 2 });
    expect(policyFor(token('a', 'x', ['admin']), overrides)).to.include({ name: 'admin', pointsPerMinute: 1000 });
    expect(policyFor(token('a', 'chief-architect'), { architect: { points_per_minute: 5, burst: 5 } })).to.include({
      pointsPerMinute: 5,
      burstWindowSeconds: 60,
    });
    expect(policyFor(token('a', 'python-specialist'), { coding: { points_per_minute: null } })).to.equal(null);
  });

  it('never lets a 1 s window floor lower the sustained rate', () => {
    // 600/min with burst 5 would be a 0.5 s window: the window is 1 s and allows 10.
    expect(resolvePolicy('x', { points_per_minute: 600, burst: 5 })).to.deep.equal({ name: 'x', pointsPerMinute: 600, burstPoints: 10, burstWindowSeconds: 1 });
    // burst above the per-minute rate is capped by it.
    expect(resolvePolicy('x', { points_per_minute: 6, burst: 100 })).to.include({ burstPoints: 6, burstWindowSeconds: 60 });
  });
});

describe('AgentRateLimiter', () => {
  it('allows `burst` requests back to back, then refuses with the burst window and its reset', async () => {
    const limiter = new AgentRateLimiter({});
    const before = Math.floor(Date.now() / 1000);
    const results = [];
    for (let i = 0; i < 11; i++) results.push((await limiter.consume(token('agent-1', 'python-specialist')))!);
    expect(results.slice(0, 10).every((r) => r.allowed)).to.equal(true);
    expect(results.map((r) => r.remaining).slice(0, 10)).to.deep.equal([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const refused = results[10]!;
    expect(refused).to.include({ allowed: false, window: 'burst', limit: 60, remaining: 0 });
    expect(refused.retryAfterSeconds).to.be.within(9, 10);
    expect(refused.resetAt).to.be.within(before + 9, before + 11);
  });

  it('keeps one counter per sub: one agent bursting leaves another untouched', async () => {
    const limiter = new AgentRateLimiter({});
    for (let i = 0; i < 15; i++) await limiter.consume(token('greedy', 'python-specialist'));
    const other = await limiter.consume(token('polite', 'python-specialist'));
    expect(other).to.include({ allowed: true, remaining: 9 });
  });

  it('caps the minute as well as the burst', async () => {
    // Burst windows shrunk 100× (20 s → 0.2 s), the minute only 10× (→ 6 s), so four bursts fit
    // in one minute window and the fourth must be refused by it.
    const scaled: LimiterFactory = (o) => new RateLimiterMemory({ ...o, duration: o.duration / (o.keyPrefix?.startsWith('cco-rl-burst') ? 100 : 10) });
    const limiter = new AgentRateLimiter({ coding: { points_per_minute: 6, burst: 2 } }, scaled);
    const t = token('a', 'python-specialist');
    const seen: string[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) {
        const d = (await limiter.consume(t))!;
        seen.push(d.allowed ? 'ok' : d.window!);
      }
      await sleep(230);
    }
    expect(seen).to.deep.equal(['ok', 'ok', 'burst', 'ok', 'ok', 'burst', 'ok', 'ok', 'burst', 'minute', 'minute', 'burst']);
  });

  it('reports unlimited tokens as null', async () => {
    expect(await new AgentRateLimiter({}).consume(token('boss', 'chief-architect'))).to.equal(null);
  });
});
