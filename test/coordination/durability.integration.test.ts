import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';
import { acquire, eventsOf, until } from './helpers.js';

describe('leases and gates across a restart (spec §8)', () => {
  let s: TestServer;

  beforeEach(async () => {
    s = await startTestServer();
  });
  afterEach(async () => {
    await s.stop();
  });

  it('keeps live leases and their conflicts, and fencing tokens keep growing', async () => {
    const alice = await s.tokenFor({ sub: 'alice' });
    const kept = await acquire(s, alice, { paths: ['src/kept.ts'], ttl_seconds: 600 });
    let last = kept.body.fencing_token as number;
    for (let i = 0; i < 5; i++) {
      const r = await acquire(s, alice, { paths: [`tmp/${i}`] });
      await s.request('DELETE', `/api/leases/${r.body.lease_id}`, { token: alice });
      last = r.body.fencing_token;
    }
    await s.restart();
    const bob = await s.tokenFor({ sub: 'bob' });
    const listed = await s.request('GET', '/api/leases', { token: bob });
    expect(listed.body.leases).to.deep.equal([kept.body]);
    expectContractError(await acquire(s, bob, { paths: ['src'] }), 409, 'LSE_001');
    const next = await acquire(s, bob, { paths: ['tmp/0'] });
    expect(next.body.fencing_token).to.equal(last + 1);
    // Twice more, so a compacted journal (snapshot + appends) is read back too.
    await s.restart();
    const third = await acquire(s, bob, { paths: ['tmp/1'] });
    expect(third.body.fencing_token).to.equal(last + 2);
    expect((await s.request('GET', '/api/leases', { token: bob })).body.leases.map((l: any) => l.lease_id)).to.deep.equal([
      kept.body.lease_id,
      next.body.lease_id,
      third.body.lease_id,
    ]);
  });

  it('expires at start the leases whose time ran out while the sidecar was down, with their events', async () => {
    const alice = await s.tokenFor({ sub: 'alice' });
    const short = await acquire(s, alice, { paths: ['a.ts'], ttl_seconds: 1 });
    await s.handle.close();
    await new Promise((r) => setTimeout(r, 1_100));
    await s.restart();
    expect((await s.request('GET', '/api/leases', { token: s.adminToken })).body.leases).to.deep.equal([]);
    const event = await until(async () => (await eventsOf(s, ['lease_expired'])).find((e) => e.data.lease_id === short.body.lease_id));
    expect(event.data).to.include({ why: 'expired', holder: 'alice' });
  });

  it('keeps gates: a waiting gate opens after the restart, an overdue one expires at start', async () => {
    const lead = await s.tokenFor({ sub: 'lead', agent_type: 'chief-architect' });
    await s.request('POST', '/api/gates', { token: lead, body: { gate_id: 'keep', issue_id: 'D-1', expect: [{ agent_type: 'test-engineer' }] } });
    await s.request('POST', '/api/gates', {
      token: lead,
      body: { gate_id: 'late', issue_id: 'D-1', expect: [{ agent_type: 'reviewer' }], timeout_seconds: 1 },
    });
    await s.handle.close();
    await new Promise((r) => setTimeout(r, 1_100));
    await s.restart();
    expect((await s.request('GET', '/api/gates/keep', { token: s.adminToken })).body.state).to.equal('waiting');
    expect((await s.request('GET', '/api/gates/late', { token: s.adminToken })).body.state).to.equal('expired');
    await until(async () => (await eventsOf(s, ['gate_expired'])).find((e) => e.data.gate_id === 'late'));
    await s.request('POST', '/api/results', {
      token: s.adminToken,
      body: { agent_id: 'qa', agent_type: 'test-engineer', issue_id: 'D-1', result: { status: 'success' } },
    });
    expect((await s.request('GET', '/api/gates/keep/wait?timeout=5000', { token: s.adminToken })).body.state).to.equal('open');
  });
});
