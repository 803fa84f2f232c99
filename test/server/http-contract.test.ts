import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

function expectContractError(res: { status: number; body: any; headers: Record<string, unknown> }, status: number, code: string): void {
  expect(res.status).to.equal(status);
  expect(res.body).to.include.keys('error', 'message', 'code', 'details', 'timestamp', 'request_id');
  expect(res.body.code).to.equal(code);
  expect(res.body.error).to.match(/^[a-z][a-z_]*$/);
  expect(res.headers['x-request-id']).to.equal(res.body.request_id);
}

describe('HTTP contract: errors, headers, bodies', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('answers an unknown route with the 404 JSON error', async () => {
    const res = await s.request('GET', '/api/nope', { token: s.adminToken });
    expectContractError(res, 404, 'NOT_FOUND');
  });

  it('answers a known path with a wrong method with 405 and Allow', async () => {
    const res = await s.request('DELETE', '/health');
    expectContractError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).to.equal('GET, HEAD');
  });

  it('puts security headers and a request id on every answer', async () => {
    const res = await s.request('GET', '/health');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['x-frame-options']).to.equal('DENY');
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.headers['content-security-policy']).to.contain("default-src 'none'");
    expect(res.headers['x-powered-by']).to.equal(undefined);
    expect(res.headers['x-request-id']).to.match(/^req-/);
  });

  it('echoes a safe client request id and replaces an unsafe one', async () => {
    const ok = await s.request('GET', '/health', { headers: { 'X-Request-Id': 'trace-123' } });
    expect(ok.headers['x-request-id']).to.equal('trace-123');
    const bad = await s.request('GET', '/health', { headers: { 'X-Request-Id': 'a b<script>' } });
    expect(bad.headers['x-request-id']).to.match(/^req-/);
  });

  it('allows CORS only for localhost origins, without credentials', async () => {
    const local = await s.request('GET', '/health', { headers: { Origin: 'http://localhost:5173' } });
    expect(local.headers['access-control-allow-origin']).to.equal('http://localhost:5173');
    expect(local.headers['access-control-allow-credentials']).to.equal(undefined);
    const evil = await s.request('GET', '/health', { headers: { Origin: 'http://evil.example' } });
    expect(evil.headers['access-control-allow-origin']).to.equal(undefined);
  });

  it('refuses a non-JSON body with 415', async () => {
    const res = await s.request('POST', '/api/auth/revoke', { token: s.adminToken, raw: 'jti=x', headers: { 'content-type': 'text/plain' } });
    expectContractError(res, 415, 'REQ_003');
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await s.request('POST', '/api/auth/revoke', { token: s.adminToken, raw: '{"jti":', headers: { 'content-type': 'application/json' } });
    expectContractError(res, 400, 'REQ_001');
  });

  it('refuses a body over the limit with 413', async () => {
    const big = JSON.stringify({ jti: 'x'.repeat(11 * 1024 * 1024) });
    const res = await s.request('POST', '/api/auth/revoke', { token: s.adminToken, raw: big, headers: { 'content-type': 'application/json' } });
    expectContractError(res, 413, 'REQ_002');
  });

  it('refuses deeply nested JSON with 400', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const res = await s.request('POST', '/api/auth/revoke', { token: s.adminToken, raw: deep, headers: { 'content-type': 'application/json' } });
    expectContractError(res, 400, 'REQ_001');
  });

  it('lists field paths of a failed validation', async () => {
    const res = await s.request('POST', '/api/auth/revoke', { token: s.adminToken, body: { jti: 5 } });
    expectContractError(res, 400, 'REQ_001');
    expect(res.body.details.issues).to.deep.include({ path: 'body.jti', message: 'Invalid input: expected string, received number' });
  });

  it('does not parse the body of an unauthenticated request', async () => {
    const res = await s.request('POST', '/api/auth/revoke', { raw: '{"jti":', headers: { 'content-type': 'application/json' } });
    expectContractError(res, 401, 'AUTH_001');
  });
});
