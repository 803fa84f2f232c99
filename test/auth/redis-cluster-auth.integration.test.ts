import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { RedisServer } from '../helpers/redis-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('two sidecars on one Redis: revocations and rate limits are cluster-wide', () => {
  let redis: RedisServer;
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    redis = await RedisServer.start();
    const shared = {
      project_id: 'cluster-auth',
      jwt_secret: 'y'.repeat(48),
      redis: { url: redis.url },
      rate_limits: { 'python-specialist': { points_per_minute: 8, burst: 8 } },
    };
    a = await startTestServer({ config: shared });
    b = await startTestServer({ config: shared });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  it('refuses a token on every node within 1 s of its revocation on one', async () => {
    const token = await a.tokenFor({ agent_type: 'architect', sub: 'arch-1' });
    expect((await b.request('GET', '/api/events', { token })).status).to.equal(200);
    const { jti } = decodeJwt(token);
    const revoked = await a.request('POST', '/api/auth/revoke', { token: a.adminToken, body: { jti } });
    expect(revoked.status, revoked.text).to.be.oneOf([200, 204]);
    const started = Date.now();
    let status = 200;
    while (Date.now() - started < 1000) {
      status = (await b.request('GET', '/api/events', { token })).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(status, 'refused on the other node').to.equal(401);
    expect(Date.now() - started).to.be.below(1000);
    expect((await a.request('GET', '/api/events', { token })).status).to.equal(401);
  });

  it('counts one budget for a token across both nodes', async () => {
    const token = await a.tokenFor({ sub: 'py-shared' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await (i % 2 ? a : b).request('GET', '/api/events', { token })).status);
    expect(statuses.slice(0, 8)).to.deep.equal(Array(8).fill(200));
    expect(statuses.slice(8)).to.deep.equal([429, 429]);
  });
});
