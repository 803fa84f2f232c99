import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';
import { RESERVED_EVENT_TYPES, isReservedEventType } from '../../src/events/reserved-event-types.js';

/** Issue 15 item 5: lifecycle and coordination event types come from the sidecar only. */
describe('security: reserved event types are published by the sidecar only', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  const reserved = [
    ...RESERVED_EVENT_TYPES,
    'lease_acquired',
    'lease_released',
    'lease_expired',
    'gate_opened',
    'gate_expired',
    'Agent_Completed',
    'FILES_CHANGED',
  ];

  it("refuses every reserved type to any non-admin token with 403 AUTH_003, even an architect's", async () => {
    const architect = await s.tokenFor({ agent_type: 'chief-architect', sub: 'arch' });
    const coder = await s.tokenFor({ agent_type: 'python-specialist', sub: 'coder' });
    for (const type of reserved) {
      for (const token of [architect, coder]) {
        const res = await s.request('POST', `/api/events/${type}`, { token, body: { data: { agent_type: 'test-engineer', issue_id: 'I-1' } } });
        expectContractError(res, 403, 'AUTH_003');
        expect(res.body.message).to.match(/reserved/);
      }
    }
    const page = await s.request('GET', '/api/events', { token: s.adminToken });
    expect(page.body.events.filter((e: { event_type: string }) => isReservedEventType(e.event_type))).to.deep.equal([]);
  });

  it('lets an admin publish them, and anyone publish a type that only looks alike', async () => {
    expect((await s.request('POST', '/api/events/agent_completed', { token: s.adminToken, body: { data: {} } })).status).to.equal(202);
    const coder = await s.tokenFor({ agent_type: 'python-specialist', sub: 'coder' });
    for (const type of ['build.done', 'agent_progress', 'my_lease', 'gates', 'release_notes']) {
      expect((await s.request('POST', `/api/events/${type}`, { token: coder, body: { data: {} } })).status, type).to.equal(202);
    }
  });

  it('still publishes agent_completed itself when a result is stored', async () => {
    const coder = await s.tokenFor({ agent_type: 'python-specialist', sub: 'coder' });
    const stored = await s.request('POST', '/api/results', {
      token: coder,
      body: { agent_id: 'coder', agent_type: 'python-specialist', issue_id: 'I-9', result: { status: 'success' } },
    });
    expect(stored.status).to.equal(201);
    expect(stored.body.event_published).to.equal(true);
    const page = await s.request('GET', '/api/events?type=agent_completed', { token: s.adminToken });
    expect(page.body.events.some((e: { data: { issue_id?: string } }) => e.data.issue_id === 'I-9')).to.equal(true);
  });
});
