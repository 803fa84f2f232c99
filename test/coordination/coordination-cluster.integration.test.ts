import { expect } from 'chai';
import { RedisServer } from '../helpers/redis-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { acquire, eventsOf, until } from './helpers.js';

describe('two sidecars on one Redis: leases and gates are cluster-wide', () => {
  let redis: RedisServer;
  let root: string;
  let a: TestServer;
  let b: TestServer;
  let aliceA: string;
  let bobB: string;
  before(async () => {
    redis = await RedisServer.start();
    root = await makeTempDir('cco-lease-cluster-');
    const shared = { project_id: 'cluster-leases', jwt_secret: 'z'.repeat(48), redis: { url: redis.url } };
    a = await startTestServer({ projectRoot: root, config: shared });
    b = await startTestServer({ projectRoot: root, config: shared });
    aliceA = await a.tokenFor({ sub: 'alice', agent_type: 'python-specialist' });
    bobB = await b.tokenFor({ sub: 'bob', agent_type: 'react-expert' });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
    await removeDir(root);
  });

  it('refuses on node B a path leased on node A (path, ancestor, descendant) and lists it there', async () => {
    const held = await acquire(a, aliceA, { paths: ['src/core'] });
    expect(held.status, held.text).to.equal(201);
    for (const p of ['src/core', 'src', 'src/core/x.ts']) {
      const r = await acquire(b, bobB, { paths: [p] });
      expectContractError(r, 409, 'LSE_001');
      expect(r.body.details.conflicts[0]).to.include({ leased_path: 'src/core', lease_id: held.body.lease_id, holder: 'alice' });
    }
    expect((await acquire(b, bobB, { paths: ['src/corex'] })).status).to.equal(201);
    const listed = await b.request('GET', '/api/leases?path=src/core/y.ts', { token: bobB });
    expect(listed.body.leases.map((l: any) => l.lease_id)).to.deep.equal([held.body.lease_id]);
    // Only the holder (or manage_agents) may release, on any node.
    expectContractError(await b.request('DELETE', `/api/leases/${held.body.lease_id}`, { token: bobB }), 403, 'AUTH_003');
    expect(
      (await b.request('DELETE', `/api/leases/${held.body.lease_id}`, { token: await b.tokenFor({ sub: 'alice', agent_type: 'python-specialist' }) })).status,
    ).to.equal(200);
    expectContractError(await a.request('DELETE', `/api/leases/${held.body.lease_id}`, { token: aliceA }), 404, 'NOT_FOUND');
  });

  it('grants a request queued on B with wait_ms as soon as A releases the path', async () => {
    const held = await acquire(a, aliceA, { paths: ['lib/hot.ts'] });
    expect(held.status).to.equal(201);
    const started = Date.now();
    const queued = acquire(b, bobB, { paths: ['lib'], wait_ms: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    const released = await a.request('DELETE', `/api/leases/${held.body.lease_id}`, { token: aliceA });
    expect(released.status).to.equal(200);
    const granted = await queued;
    expect(granted.status, granted.text).to.equal(201);
    expect(granted.body).to.include({ holder: 'bob' });
    expect(granted.body.fencing_token).to.be.greaterThan(held.body.fencing_token);
    // Woken by the release (pub/sub), not by the end of the wait.
    expect(Date.now() - started).to.be.below(3_000);
    await b.request('DELETE', `/api/leases/${granted.body.lease_id}`, { token: bobB });
  });

  it('hands out strictly increasing fencing tokens across both nodes, also under concurrent grants', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const node = i % 2 ? a : b;
        const token = i % 2 ? aliceA : bobB;
        const r = await acquire(node, token, { paths: [`fence/${i}.ts`], ttl_seconds: 60 });
        expect(r.status, r.text).to.equal(201);
        return r.body.fencing_token as number;
      }),
    );
    expect(new Set(tokens).size).to.equal(40);
    const serial: number[] = [];
    for (let i = 0; i < 6; i++) serial.push((await acquire(i % 2 ? a : b, i % 2 ? aliceA : bobB, { paths: [`serial/${i}`] })).body.fencing_token);
    for (let i = 1; i < serial.length; i++) expect(serial[i]).to.be.greaterThan(serial[i - 1]!);
    expect(serial[0]).to.be.greaterThan(Math.max(...tokens));
  });

  it('expires a lease once: lease_expired is published by one node and the path is free on both', async () => {
    const short = await acquire(a, aliceA, { paths: ['tmp/short.ts'], ttl_seconds: 1 });
    expect(short.status).to.equal(201);
    expect((await acquire(b, bobB, { paths: ['tmp'] })).status).to.equal(409);
    const granted = await acquire(b, bobB, { paths: ['tmp'], wait_ms: 5_000 });
    expect(granted.status, granted.text).to.equal(201);
    const expired = await until(async () => {
      const e = (await eventsOf(b, ['lease_expired'])).filter((x) => x.data.lease_id === short.body.lease_id);
      return e.length > 0 && e;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await eventsOf(a, ['lease_expired'])).filter((x) => x.data.lease_id === short.body.lease_id)).to.have.length(1);
    expect(expired[0].data).to.include({ why: 'expired', holder: 'alice' });
  });

  it('opens a gate created on A when the result is stored on B, and a wait on B returns it; one gate_opened', async () => {
    const lead = await a.tokenFor({ sub: 'lead', agent_type: 'chief-architect' });
    const created = await a.request('POST', '/api/gates', {
      token: lead,
      body: { gate_id: 'cluster-g1', issue_id: 'CL-1', expect: [{ agent_type: 'test-engineer' }] },
    });
    expect(created.status, created.text).to.equal(201);
    const seen = await b.request('GET', '/api/gates/cluster-g1', { token: lead });
    expect(seen.status, seen.text).to.equal(200);
    expect(seen.body).to.include({ state: 'waiting' });
    const waited = b.request('GET', '/api/gates/cluster-g1/wait?timeout=10000', { token: lead });
    await new Promise((r) => setTimeout(r, 200));
    const stored = await b.request('POST', '/api/results', {
      token: b.adminToken,
      body: { agent_id: 'te-1', agent_type: 'test-engineer', issue_id: 'CL-1', result: { status: 'success' } },
    });
    expect(stored.status, stored.text).to.equal(201);
    const answer = await waited;
    expect(answer.status, answer.text).to.equal(200);
    expect(answer.body).to.include({ gate_id: 'cluster-g1', state: 'open' });
    expect(answer.body.timeout).to.equal(undefined);
    expect(answer.body.satisfied).to.deep.equal([{ agent_type: 'test-engineer', status: 'success', result_id: stored.body.id, agent_id: 'te-1' }]);
    expect((await a.request('GET', '/api/gates/cluster-g1', { token: lead })).body.state).to.equal('open');
    await until(async () => (await eventsOf(a, ['gate_opened'])).length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect((await eventsOf(a, ['gate_opened'])).filter((e) => e.data.gate_id === 'cluster-g1')).to.have.length(1);
  });

  it('expires a gate once across both nodes and answers a wait on the other node', async () => {
    const lead = await b.tokenFor({ sub: 'lead', agent_type: 'chief-architect' });
    const created = await b.request('POST', '/api/gates', {
      token: lead,
      body: { gate_id: 'cluster-g2', issue_id: 'CL-2', expect: [{ agent_type: 'security-auditor' }], timeout_seconds: 1 },
    });
    expect(created.status, created.text).to.equal(201);
    const answer = await a.request('GET', '/api/gates/cluster-g2/wait?timeout=10000', { token: lead });
    expect(answer.body).to.include({ gate_id: 'cluster-g2', state: 'expired' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await eventsOf(b, ['gate_expired'])).filter((e) => e.data.gate_id === 'cluster-g2')).to.have.length(1);
  });

  it('answers 503 STR_002 (never a 500) while Redis is down, and works again once it is back', async () => {
    await redis.halt();
    try {
      const r = await acquire(a, aliceA, { paths: ['down/x.ts'] });
      expectContractError(r, 503, 'STR_002');
      expect(r.text).not.to.contain(redis.url);
      expectContractError(await b.request('GET', '/api/leases', { token: bobB }), 503, 'STR_002');
      expectContractError(await b.request('GET', '/api/gates/cluster-g1', { token: b.adminToken }), 503, 'STR_002');
    } finally {
      await redis.resume();
    }
    const again = await until(
      async () => {
        const r = await acquire(a, aliceA, { paths: ['down/x.ts'] });
        return r.status === 201 && r;
      },
      10_000,
      100,
    );
    expect(again.body.holder).to.equal('alice');
  });
});
