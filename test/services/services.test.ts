import { expect } from 'chai';
import { defaultPermissionsFor } from '../../src/auth/permissions.js';
import { AppError } from '../../src/errors/index.js';
import { createServices, type Caller, type Services } from '../../src/services/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** A caller as an MCP tool or an in-process client hands it: plain claims, no Koa context. */
function caller(claims: Partial<Caller> & { agent_type: string }, projectId: string): Caller {
  return {
    sub: claims.sub ?? `agent-${claims.agent_type}`,
    agent_type: claims.agent_type,
    project_id: claims.project_id ?? projectId,
    permissions: claims.permissions ?? new Set(defaultPermissionsFor(claims.agent_type)),
    ...(claims.issue_id !== undefined ? { issue_id: claims.issue_id } : {}),
    jti: 'jti-test',
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 600,
  };
}

/** The contract code a service call failed with. */
async function codeOf(call: () => unknown): Promise<string> {
  try {
    await call();
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return (err as AppError).code;
  }
  throw new Error('expected the call to fail');
}

describe('Domain services (called without HTTP)', () => {
  let s: TestServer;
  let services: Services;
  let coder: Caller;

  before(async () => {
    s = await startTestServer();
    services = createServices(s.handle.deps);
    coder = caller({ agent_type: 'python-specialist', sub: 'py-9' }, s.config.project_id);
  });
  after(async () => {
    await s.stop();
  });

  it('stores a result, publishes agent_completed and answers next_agents; HTTP then serves the same envelope', async () => {
    const since = (await services.events.list(coder, { type: 'agent_completed' })).next_cursor;
    const stored = await services.results.store(coder, {
      agent_id: 'py-9',
      agent_type: 'python-specialist',
      issue_id: 'ISSUE-S',
      result: { status: 'success' },
    });
    expect(stored.stored).to.equal(true);
    expect(stored.event_published).to.equal(true);
    expect(stored.next_agents.map((n) => n.agent_type)).to.deep.equal(['test-engineer', 'security-auditor']);

    const page = await services.events.list(coder, { type: 'agent_completed', since });
    expect(page.events.map((e) => [e.event_id, e.topic, e.data.result_id])).to.deep.equal([[stored.event_id, 'implementation', stored.id]]);

    const res = await s.request('GET', `/api/results/${stored.id}`, { token: s.adminToken });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal(await services.results.get(coder, stored.id));
  });

  it('applies the scoping of spec §2 with the same codes as the HTTP doors', async () => {
    const other = { agent_id: 'py-9', agent_type: 'test-engineer', issue_id: 'ISSUE-S', result: { status: 'success' as const } };
    expect(await codeOf(() => services.results.store(coder, other))).to.equal('AUTH_003');
    const token = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-9' });
    const res = await s.request('POST', '/api/results', { token, body: other });
    expect([res.status, res.body.code]).to.deep.equal([403, 'AUTH_003']);

    const scoped = caller({ agent_type: 'python-specialist', sub: 'py-9', issue_id: 'ISSUE-A' }, s.config.project_id);
    expect(await codeOf(() => services.events.publish(scoped, 'note', { data: { issue_id: 'ISSUE-B' } }))).to.equal('AUTH_003');
    expect(await codeOf(() => services.context.clearAll(scoped))).to.equal('AUTH_003');
  });

  it('refuses a use case the caller has no permission for (403 AUTH_003), also without a route in front', async () => {
    const support = caller({ agent_type: 'support-agent' }, s.config.project_id);
    expect(support.permissions.has('publish_events')).to.equal(false);
    expect(await codeOf(() => services.events.publish(support, 'note', {}))).to.equal('AUTH_003');
    expect(await codeOf(() => services.agents.list(coder, { limit: 10 }))).to.equal('AUTH_003');
    expect(await codeOf(() => services.auth.revoke(coder, 'some-jti'))).to.equal('AUTH_003');
  });

  it('answers an event_type that differs from the path with EVT_002 through the service and through HTTP', async () => {
    expect(await codeOf(() => services.events.publish(coder, 'a', { event_type: 'b' }))).to.equal('EVT_002');
    const token = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-9' });
    const res = await s.request('POST', '/api/events/a', { token, body: { event_type: 'b' } });
    expect([res.status, res.body.code]).to.deep.equal([400, 'EVT_002']);
  });

  it('answers a bad filter with EVT_002 through the service and through HTTP (spec §1)', async () => {
    expect(await codeOf(() => services.events.list(coder, { filter: 'no-colon' }))).to.equal('EVT_002');
    const token = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-9' });
    const res = await s.request('GET', '/api/events?filter=no-colon', { token });
    expect([res.status, res.body.code]).to.deep.equal([400, 'EVT_002']);
  });
});
