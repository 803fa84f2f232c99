import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditEntry } from '../../src/audit/audit-entry.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { testRoutes } from '../helpers/test-routes.js';

describe('audit log over HTTP', () => {
  let s: TestServer;
  const calls = { echo: 0 };
  before(async () => {
    s = await startTestServer({ extraRoutes: [testRoutes(calls)], config: { rate_limits: {} } });
  });
  after(async () => {
    await s.stop();
  });

  const entries = async (): Promise<AuditEntry[]> =>
    (await readFile(path.join(s.storage, 'audit.log'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry);
  const forRequest = async (requestId: string) => (await entries()).filter((e) => e.request_id === requestId);

  it('records the sidecar start', async () => {
    expect((await entries())[0]).to.include({ action: 'sidecar.start', outcome: 'success', project_id: s.config.project_id });
  });

  it('writes an intent line before and an outcome line after every mutating request', async () => {
    const victim = await s.handle.deps.tokens.verify(await s.tokenFor({ sub: 'victim' }));
    const admin = await s.handle.deps.tokens.verify(s.adminToken);
    const res = await s.request('POST', '/api/auth/revoke', { token: s.adminToken, body: { jti: victim.jti } });
    expect(res.status).to.equal(200);
    const lines = await forRequest(res.body.request_id ?? res.headers['x-request-id']);
    expect(lines.map((e) => e.outcome)).to.deep.equal(['intent', 'success']);
    for (const e of lines) {
      expect(e).to.include({
        sub: 'operator',
        jti: admin.jti,
        agent_type: 'operator',
        project_id: s.config.project_id,
        action: 'POST /api/auth/revoke',
        resource: '/api/auth/revoke',
        remote: '127.0.0.1',
      });
    }
    expect(lines[0]!.status).to.equal(null);
    expect(lines[1]!.status).to.equal(200);
  });

  it('audits a stored result, a data-plane write, with one outcome line and no intent line', async () => {
    const token = await s.tokenFor({ sub: 'py-7', agent_type: 'python-specialist' });
    const res = await s.request('POST', '/api/results', {
      token,
      body: { agent_id: 'py-7', agent_type: 'python-specialist', issue_id: 'AUD-1', result: { status: 'success' } },
    });
    expect(res.status).to.equal(201);
    const lines = await forRequest(String(res.headers['x-request-id']));
    expect(lines.map((e) => [e.outcome, e.status, e.action, e.sub])).to.deep.equal([['success', 201, 'POST /api/results', 'py-7']]);
    const published = await s.request('POST', '/api/events/audit_probe', { token: s.adminToken, body: { data: {} } });
    expect(published.status).to.equal(202);
    expect((await forRequest(String(published.headers['x-request-id']))).map((e) => e.outcome)).to.deep.equal(['success']);
  });

  it('records 401 and 403 whatever the method, with the contract code', async () => {
    const anon = await s.request('GET', '/status');
    const forbidden = await s.request('POST', '/api/auth/revoke', { token: await s.tokenFor({ sub: 'nosy' }), body: { jti: 'x' } });
    const [a] = await forRequest(String(anon.headers['x-request-id']));
    expect(a).to.include({ outcome: 'denied', status: 401, code: 'AUTH_001', sub: null, action: 'GET /status' });
    const f = await forRequest(String(forbidden.headers['x-request-id']));
    expect(f.map((e) => e.outcome)).to.deep.equal(['intent', 'denied']);
    expect(f[1]).to.include({ status: 403, code: 'AUTH_003', sub: 'nosy' });
  });

  it('does not record successful reads', async () => {
    const res = await s.request('GET', '/status', { token: s.adminToken });
    expect(await forRequest(String(res.headers['x-request-id']))).to.deep.equal([]);
  });

  it('records refused mutating requests that never reached a handler (404, 429) without an intent line', async () => {
    const missing = await s.request('DELETE', '/api/nothing-here', { token: s.adminToken });
    expect((await forRequest(String(missing.headers['x-request-id']))).map((e) => [e.outcome, e.status, e.code])).to.deep.equal([
      ['failure', 404, 'NOT_FOUND'],
    ]);
    const docs = await s.tokenFor({ sub: 'busy-writer', agent_type: 'documentation-writer' });
    for (let i = 0; i < 5; i++) await s.request('POST', '/api/test/echo', { token: docs, body: {} });
    const limited = await s.request('POST', '/api/test/echo', { token: docs, body: {} });
    expect(limited.status).to.equal(429);
    expect((await forRequest(String(limited.headers['x-request-id']))).map((e) => [e.outcome, e.status, e.code, e.sub])).to.deep.equal([
      ['failure', 429, 'RATE_001', 'busy-writer'],
    ]);
  });

  it('never writes a token, from the header, the path or the query string', async () => {
    const token = await s.tokenFor({ sub: 'leaky' });
    await s.request('POST', `/api/test/echo/${token}?token=${token}`, { token, body: {} });
    await s.request('POST', `/api/auth/revoke?access_token=${token}`, { token: `${token}x`, body: { jti: 'y' } });
    await s.request('POST', '/api/test/echo', { token, body: { token } });
    const text = await readFile(path.join(s.storage, 'audit.log'), 'utf8');
    const [, payload, signature] = token.split('.');
    expect(text).not.to.contain(payload);
    expect(text).not.to.contain(signature);
    expect(text).to.match(/\[jwt sha256:[0-9a-f]{16}\]/);
    expect(text).not.to.contain('access_token');
  });

  it('escapes control characters from the request in the log', async () => {
    const res = await s.request('POST', '/api/test/echo%1b%5b31m%e2%80%ae', { token: s.adminToken, body: {} });
    const text = await readFile(path.join(s.storage, 'audit.log'), 'utf8');
    expect(text).to.match(/^[\u0020-\u007e\n]*$/);
    expect((await forRequest(String(res.headers['x-request-id'])))[0]!.resource).to.equal('/api/test/echo%1b%5b31m%e2%80%ae');
  });

  it('fails closed: a mutating request is refused (503 AUD_001) and not performed when the audit log cannot be written', async () => {
    const before = calls.echo;
    const victim = await s.tokenFor({ sub: 'survivor' });
    const { jti } = await s.handle.deps.tokens.verify(victim);
    await s.handle.deps.audit.close();
    try {
      const echo = await s.request('POST', '/api/test/echo', { token: s.adminToken, body: { a: 1 } });
      expect(echo.status).to.equal(503);
      expect(echo.body).to.include({ code: 'AUD_001', error: 'audit_unavailable' });
      expect(calls.echo).to.equal(before);
      // Data-plane writes have no intent line, yet are refused too while the log cannot be written.
      const publish = await s.request('POST', '/api/events/audit_probe', { token: s.adminToken, body: { data: { lost: true } } });
      expect([publish.status, publish.body.code]).to.deep.equal([503, 'AUD_001']);
      expect(
        (await s.request('GET', '/api/events?type=audit_probe', { token: s.adminToken })).body.events.some((e: { data: { lost?: boolean } }) => e.data.lost),
      ).to.equal(false);
      const revoke = await s.request('POST', '/api/auth/revoke', { token: s.adminToken, body: { jti } });
      expect(revoke.status).to.equal(503);
      expect((await s.request('GET', '/status', { token: victim })).status, 'token must not be revoked').to.equal(200);
    } finally {
      await s.restart();
    }
    // A fresh sidecar writes again.
    expect((await s.request('POST', '/api/test/echo', { token: s.adminToken, body: {} })).status).to.equal(200);
  });
});
