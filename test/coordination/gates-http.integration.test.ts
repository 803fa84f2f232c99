import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';
import { eventsOf, until } from './helpers.js';
import { onEachLeaseBackend } from './lease-backends.js';

onEachLeaseBackend('gates over HTTP (spec §8)', (backend) => {
  let s: TestServer;
  let lead: string;

  before(async () => {
    s = await startTestServer({ config: backend.config() });
    lead = await s.tokenFor({ sub: 'lead', agent_type: 'chief-architect' });
  });
  after(async () => {
    await s.stop();
  });

  async function store(issue: string, agentType: string, status: string): Promise<string> {
    const res = await s.request('POST', '/api/results', {
      token: s.adminToken,
      body: { agent_id: `${agentType}-1`, agent_type: agentType, issue_id: issue, result: { status } },
    });
    expect(res.status, res.text).to.equal(201);
    return res.body.id;
  }

  it('counts results stored before the gate, opens on the last one, and ignores failures', async () => {
    const tested = await store('G-1', 'test-engineer', 'success');
    const created = await s.request('POST', '/api/gates', {
      token: lead,
      body: { gate_id: 'g1', issue_id: 'G-1', expect: [{ agent_type: 'test-engineer' }, { agent_type: 'security-auditor' }] },
    });
    expect(created.status, created.text).to.equal(201);
    expect(created.body).to.deep.include({ gate_id: 'g1', state: 'waiting', pending: [{ agent_type: 'security-auditor', status: 'success' }] });
    expect(created.body.satisfied).to.deep.equal([{ agent_type: 'test-engineer', status: 'success', result_id: tested, agent_id: 'test-engineer-1' }]);
    const wait = s.request('GET', '/api/gates/g1/wait?timeout=10000', { token: lead });
    await store('G-1', 'security-auditor', 'failed');
    expect((await s.request('GET', '/api/gates/g1', { token: lead })).body.state).to.equal('waiting');
    const audited = await store('G-1', 'security-auditor', 'success');
    const opened = await wait;
    expect(opened.status).to.equal(200);
    expect(opened.body).to.deep.include({ state: 'open', pending: [] });
    expect(opened.body.timeout).to.equal(undefined);
    expect(opened.body.satisfied.map((x: any) => x.result_id)).to.deep.equal([tested, audited]);
    const event = await until(async () => (await eventsOf(s, ['gate_opened'])).find((e) => e.data.gate_id === 'g1'));
    expect(event).to.deep.include({ publisher: 'cco-sidecar', topic: 'coordination' });
    expect(event.data).to.include({ issue_id: 'G-1', state: 'open' });
    // A later failure does not close it; a wait answers at once.
    await store('G-1', 'test-engineer', 'failed');
    const again = await s.request('GET', '/api/gates/g1/wait?timeout=10000', { token: lead });
    expect(again.body.state).to.equal('open');
    // The same definition again is the same gate; another definition under that id is refused.
    const same = await s.request('POST', '/api/gates', {
      token: lead,
      body: { gate_id: 'g1', issue_id: 'G-1', expect: [{ agent_type: 'test-engineer' }, { agent_type: 'security-auditor', status: 'success' }] },
    });
    expect(same.status).to.equal(200);
    expectContractError(
      await s.request('POST', '/api/gates', { token: lead, body: { gate_id: 'g1', issue_id: 'G-1', expect: [{ agent_type: 'devops-engineer' }] } }),
      400,
      'REQ_001',
    );
  });

  it('opens at creation when every result is already stored, and expects a given status', async () => {
    await store('G-2', 'test-engineer', 'failed');
    const res = await s.request('POST', '/api/gates', { token: lead, body: { issue_id: 'G-2', expect: [{ agent_type: 'test-engineer', status: 'failed' }] } });
    expect(res.status).to.equal(201);
    expect(res.body.state).to.equal('open');
    expect(res.body.gate_id).to.match(/^gate_/);
  });

  it('expires at its timeout, publishes gate_expired, and a wait times out with timeout: true before that', async () => {
    const res = await s.request('POST', '/api/gates', {
      token: lead,
      body: { gate_id: 'g3', issue_id: 'G-3', expect: [{ agent_type: 'reviewer' }], timeout_seconds: 1 },
    });
    expect(res.body.state).to.equal('waiting');
    const short = await s.request('GET', '/api/gates/g3/wait?timeout=50', { token: lead });
    expect(short.body).to.include({ state: 'waiting', timeout: true });
    const started = Date.now();
    const long = await s.request('GET', '/api/gates/g3/wait?timeout=10000', { token: lead });
    expect(long.body.state).to.equal('expired');
    expect(Date.now() - started).to.be.below(4_000);
    const event = await until(async () => (await eventsOf(s, ['gate_expired'])).find((e) => e.data.gate_id === 'g3'));
    expect(event.data.pending).to.deep.equal([{ agent_type: 'reviewer', status: 'success' }]);
    // A result after expiry does not open it.
    await store('G-3', 'reviewer', 'success');
    expect((await s.request('GET', '/api/gates/g3', { token: lead })).body.state).to.equal('expired');
  });

  it('bounds the gates of one issue: 100 waiting refuse a 101st (429), a decided one makes room', async () => {
    for (let i = 0; i < 100; i++) {
      const r = await s.request('POST', '/api/gates', { token: lead, body: { gate_id: `b${i}`, issue_id: 'G-B', expect: [{ agent_type: 'reviewer' }] } });
      expect(r.status, r.text).to.equal(201);
    }
    expectContractError(
      await s.request('POST', '/api/gates', { token: lead, body: { gate_id: 'b100', issue_id: 'G-B', expect: [{ agent_type: 'reviewer' }] } }),
      429,
      'RATE_001',
    );
    await store('G-B', 'reviewer', 'success');
    await until(async () => (await s.request('GET', '/api/gates?issue_id=G-B&state=open', { token: lead })).body.total === 100);
    const made = await s.request('POST', '/api/gates', { token: lead, body: { gate_id: 'b100', issue_id: 'G-B', expect: [{ agent_type: 'tester' }] } });
    expect(made.status).to.equal(201);
    const all = await s.request('GET', '/api/gates?issue_id=G-B', { token: lead });
    expect(all.body.total).to.equal(100);
    expect(all.body.gates.map((g: any) => g.gate_id)).not.to.include('b0');
  });

  it('applies permissions and issue scope, validates input', async () => {
    const docs = await s.tokenFor({ sub: 'doc', agent_type: 'documentation-writer' });
    expectContractError(await s.request('POST', '/api/gates', { token: docs, body: { issue_id: 'G-4', expect: [{ agent_type: 'x' }] } }), 403, 'AUTH_003');
    const scoped = await s.tokenFor({ sub: 'qa', agent_type: 'test-engineer', issue_id: 'OTHER' });
    expectContractError(await s.request('GET', '/api/gates/g1', { token: scoped }), 403, 'AUTH_003');
    expect((await s.request('GET', '/api/gates', { token: scoped })).body.gates).to.deep.equal([]);
    expectContractError(await s.request('GET', '/api/gates/nope', { token: lead }), 404, 'NOT_FOUND');
    for (const body of [
      { issue_id: 'G', expect: [] },
      { issue_id: '../x', expect: [{ agent_type: 'a' }] },
      { issue_id: 'G', expect: [{ agent_type: 'a', status: 'done' }] },
      { issue_id: 'G', expect: Array.from({ length: 120 }, (_, i) => ({ agent_type: `a${i}` })) },
      { issue_id: 'G', expect: [{ agent_type: 'a' }], timeout_seconds: 0 },
    ]) {
      expectContractError(await s.request('POST', '/api/gates', { token: lead, body }), 400, 'REQ_001');
    }
    const listed = await s.request('GET', '/api/gates?issue_id=G-1', { token: lead });
    expect(listed.body.gates.map((g: any) => g.gate_id)).to.deep.equal(['g1']);
  });
});
