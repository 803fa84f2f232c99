import { expect } from 'chai';
import { generateKeyPair } from 'jose';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { forgeToken as sign, readStorageKey } from '../helpers/forge-token.js';

describe('auth', () => {
  let s: TestServer;
  let key: Uint8Array;
  before(async () => {
    s = await startTestServer();
    key = await readStorageKey(s.storage);
  });
  after(async () => {
    await s.stop();
  });

  const status = async (token: string | null, headers: Record<string, string> = {}) => s.request('GET', '/status', { token, headers });

  it('creates the signing key with mode 0600 in a 0700 storage dir', async () => {
    expect((await stat(path.join(s.storage, 'jwt.key'))).mode & 0o777).to.equal(0o600);
    expect((await stat(s.storage)).mode & 0o777).to.equal(0o700);
  });

  it('accepts a valid token', async () => {
    expect((await status(await s.tokenFor())).status).to.equal(200);
  });

  it('rejects a missing or malformed Authorization header with AUTH_001', async () => {
    const variants: Array<Record<string, string>> = [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer not-a-jwt' }];
    for (const headers of variants) {
      const res = await status(null, headers);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('AUTH_001');
    }
  });

  it('rejects a bad signature, wrong iss/aud/typ/alg and a missing exp with AUTH_001', async () => {
    const wrongKey = new TextEncoder().encode('x'.repeat(48));
    const tokens = [
      await sign(wrongKey),
      await sign(key, { iss: 'someone-else' }),
      await sign(key, { aud: 'other-audience' }),
      await sign(key, { typ: 'at+jwt' }),
      await sign(key, { alg: 'HS512' }),
      await sign(key, { exp: null }),
      await sign(key, { iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 }),
    ];
    for (const token of tokens) {
      const res = await status(token);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('AUTH_001');
    }
  });

  it('answers a token forged with another key type with 401, never 500', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const res = await status(await sign(privateKey, { alg: 'ES256' }));
    expect(res.status).to.equal(401);
    expect(res.body.code).to.equal('AUTH_001');
  });

  it('rejects alg none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'a', exp: 9999999999 })).toString('base64url');
    const res = await status(`${header}.${payload}.`);
    expect(res.status).to.equal(401);
  });

  it('answers an expired token with AUTH_002 and expired_at', async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await status(await sign(key, { iat: now - 7200, exp: now - 3600 }));
    expect(res.status).to.equal(401);
    expect(res.body.code).to.equal('AUTH_002');
    expect(res.body.details.expired_at).to.equal(new Date((now - 3600) * 1000).toISOString());
  });

  it('ignores tokens in the query string', async () => {
    const res = await s.request('GET', `/status?token=${await s.tokenFor()}&access_token=${await s.tokenFor()}`);
    expect(res.status).to.equal(401);
  });

  it('refreshes a token: same claims, new jti, old one revoked', async () => {
    const old = await s.tokenFor({ agent_type: 'python-specialist', issue_id: 'ISSUE-1' });
    const res = await s.request('POST', '/api/auth/refresh', { token: old });
    expect(res.status).to.equal(200);
    expect(res.body).to.have.keys('token', 'expires_at');
    const fresh = await s.handle.deps.tokens.verify(res.body.token);
    const previous = await s.handle.deps.tokens.verify(old).catch(() => undefined);
    expect(previous, 'old token must no longer verify').to.equal(undefined);
    expect(fresh.issue_id).to.equal('ISSUE-1');
    expect(fresh.agent_type).to.equal('python-specialist');
    expect((await status(old)).status).to.equal(401);
    expect((await status(res.body.token)).status).to.equal(200);
  });

  it('lets only admin revoke, and revocations survive a restart', async () => {
    const victim = await s.tokenFor();
    const { jti } = await s.handle.deps.tokens.verify(victim);
    const denied = await s.request('POST', '/api/auth/revoke', { token: await s.tokenFor(), body: { jti } });
    expect(denied.status).to.equal(403);
    expect(denied.body.code).to.equal('AUTH_003');
    const ok = await s.request('POST', '/api/auth/revoke', { token: s.adminToken, body: { jti } });
    expect(ok.status).to.equal(200);
    expect((await status(victim)).status).to.equal(401);
    await s.restart();
    expect((await status(victim)).status).to.equal(401);
    expect((await status(await s.tokenFor())).status).to.equal(200);
  });
});

describe('auth: maximum token age', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('answers a token older than the maximum age with AUTH_001, not an expiry in the future', async () => {
    const key = await readStorageKey(s.storage);
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(key, { iat: now - 40 * 86_400, exp: now + 3600 });
    const res = await s.request('GET', '/status', { token });
    expect(res.status).to.equal(401);
    expect(res.body.code).to.equal('AUTH_001');
  });
});
