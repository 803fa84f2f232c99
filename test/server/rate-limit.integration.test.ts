import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { testRoutes } from '../helpers/test-routes.js';

describe('rate limits over HTTP (spec §3)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({
      extraRoutes: [testRoutes()],
      config: { rate_limits: { 'go-specialist': { points_per_minute: 4, burst: 2 } } },
    });
  });
  after(async () => {
    await s.stop();
  });

  it('puts X-RateLimit-* on every limited answer, then refuses with 429 RATE_001 and Retry-After', async () => {
    const token = await s.tokenFor({ sub: 'coder-1', agent_type: 'python-specialist' });
    const now = Math.floor(Date.now() / 1000);
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await s.request('GET', '/status', { token }));
    expect(answers.slice(0, 10).map((r) => r.status)).to.deep.equal(Array(10).fill(200));
    expect(answers.slice(0, 10).map((r) => r.headers['x-ratelimit-remaining'])).to.deep.equal(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);
    for (const r of answers) {
      expect(r.headers['x-ratelimit-limit']).to.equal('60');
      expect(Number(r.headers['x-ratelimit-reset'])).to.be.within(now + 1, now + 61);
    }
    const refused = answers[10]!;
    expect(refused.status).to.equal(429);
    expect(refused.body).to.include({ code: 'RATE_001', error: 'rate_limited' });
    expect(refused.body.details).to.include({ limit: 60, window: 'burst' });
    expect(refused.body.details.retry_after_seconds).to.be.within(1, 10);
    expect(refused.headers['retry-after']).to.equal(String(refused.body.details.retry_after_seconds));
    expect(refused.headers['x-ratelimit-remaining']).to.equal('0');
    expect(refused.body.request_id).to.equal(refused.headers['x-request-id']);
  });

  it('keeps the headers on error answers of limited tokens', async () => {
    const res = await s.request('POST', '/api/auth/revoke', { token: await s.tokenFor({ sub: 'coder-err' }), body: { jti: 'x' } });
    expect(res.status).to.equal(403);
    expect(res.headers['x-ratelimit-remaining']).to.equal('9');
  });

  it('does not limit admin and chief-architect tokens (and sends no headers)', async () => {
    const architect = await s.tokenFor({ sub: 'boss', agent_type: 'chief-architect' });
    for (const token of [s.adminToken, architect]) {
      const answers = await Promise.all(Array.from({ length: 25 }, () => s.request('GET', '/status', { token })));
      expect(answers.every((r) => r.status === 200)).to.equal(true);
      expect(answers[0]!.headers['x-ratelimit-limit']).to.equal(undefined);
    }
  });

  it('uses the documentation budget (30/min, burst 5) and the configured overrides', async () => {
    const docs = await s.tokenFor({ sub: 'writer', agent_type: 'documentation-writer' });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await s.request('GET', '/status', { token: docs })).status);
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 429]);
    const go = await s.tokenFor({ sub: 'gopher', agent_type: 'go-specialist' });
    const first = await s.request('GET', '/status', { token: go });
    expect(first.headers['x-ratelimit-limit']).to.equal('4');
    expect((await s.request('GET', '/status', { token: go })).status).to.equal(200);
    const third = await s.request('GET', '/status', { token: go });
    expect(third.status).to.equal(429);
    expect(third.body.details.retry_after_seconds).to.be.within(25, 30); // burst 2 of 4/min: a 30 s window
  });

  it('counts a long request once, however long it waits', async () => {
    const token = await s.tokenFor({ sub: 'waiter', agent_type: 'python-specialist' });
    const slow = await s.request('GET', '/api/test/slow?ms=400', { token });
    expect(slow.status).to.equal(200);
    expect(slow.headers['x-ratelimit-remaining']).to.equal('9');
    expect((await s.request('GET', '/status', { token })).headers['x-ratelimit-remaining']).to.equal('8');
  });

  it('never lets one agent bursting slow another', async () => {
    const greedy = await s.tokenFor({ sub: 'greedy', agent_type: 'python-specialist' });
    const polite = await s.tokenFor({ sub: 'polite', agent_type: 'python-specialist' });
    const flood = Promise.all(Array.from({ length: 300 }, () => s.request('GET', '/status', { token: greedy })));
    const latencies: number[] = [];
    const remaining: string[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const res = await s.request('GET', '/status', { token: polite });
      latencies.push(performance.now() - started);
      expect(res.status).to.equal(200);
      remaining.push(String(res.headers['x-ratelimit-remaining']));
    }
    const greedyAnswers = await flood;
    expect(greedyAnswers.filter((r) => r.status === 200)).to.have.length(10);
    expect(greedyAnswers.filter((r) => r.status === 429)).to.have.length(290);
    expect(remaining).to.deep.equal(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);
    latencies.sort((a, b) => a - b);
    // The polite agent's own budget is untouched and it is answered while the flood runs: the
    // limiter refuses at once, it never queues (the bound is loose for a busy 2-core machine).
    expect(latencies[8]!, `p90 latency ${latencies[8]} ms`).to.be.below(1_000);
  });
});
