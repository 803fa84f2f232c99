import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { readStorageKey } from '../helpers/forge-token.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';
import { sendRaw } from '../helpers/raw-socket.js';
import { runCli } from '../helpers/run-cli.js';
import { keyIdOf } from '../../src/auth/strict-jwt.js';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/auth/token-service.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/** An HS256 JWS over exactly these header and claims texts, signed with the sidecar's key. */
function signRaw(key: Uint8Array, headerJson: string, claimsJson: string): string {
  const input = `${b64(headerJson)}.${b64(claimsJson)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

describe('security: token lifetime and strict JWT parsing (issue 15 items 2–4)', () => {
  let s: TestServer;
  let key: Uint8Array;
  let kid: string;
  const now = (): number => Math.floor(Date.now() / 1000);
  /** Claims the sidecar itself would sign, as a JSON text body (so members can be repeated). */
  const claimsText = (extra = '', lifetime = 600): string => {
    const t = now();
    return (
      `{"agent_type":"python-specialist","project_id":"${s.config.project_id}","permissions":["read_results"],"sub":"forger","jti":"j-${Math.random()}",` +
      `"iat":${t},"nbf":${t},"exp":${t + lifetime},"iss":"${TOKEN_ISSUER}","aud":"${TOKEN_AUDIENCE}"${extra}}`
    );
  };
  const status = async (token: string): Promise<{ status: number; code?: string; wwwAuth?: string }> => {
    const res = await s.request('GET', '/api/results', { token });
    if (res.status === 401) expectContractError(res, 401);
    return { status: res.status, code: res.body?.code, wwwAuth: res.headers['www-authenticate'] };
  };

  before(async () => {
    s = await startTestServer();
    key = await readStorageKey(s.storage);
    kid = keyIdOf(key);
  });
  after(async () => {
    await s.stop();
  });

  it("accepts the hand-signed control token, with and without the sidecar's own kid", async () => {
    expect((await status(signRaw(key, '{"alg":"HS256","typ":"JWT"}', claimsText()))).status).to.equal(200);
    expect((await status(signRaw(key, `{"alg":"HS256","typ":"JWT","kid":"${kid}"}`, claimsText()))).status).to.equal(200);
  });

  it('refuses a lifetime (exp − iat) over max_token_ttl_seconds (default 86,400) with 401 AUTH_001', async () => {
    expect((await status(signRaw(key, '{"alg":"HS256","typ":"JWT"}', claimsText('', 86_400)))).status).to.equal(200);
    for (const lifetime of [86_401, 30 * 86_400, 365 * 86_400]) {
      const answer = await status(signRaw(key, '{"alg":"HS256","typ":"JWT"}', claimsText('', lifetime)));
      expect(answer, `lifetime ${lifetime}`).to.deep.include({ status: 401, code: 'AUTH_001', wwwAuth: 'Bearer realm="cco-sidecar", error="invalid_token"' });
    }
  });

  it('refuses duplicate member names in the claims or the header, at any depth', async () => {
    const header = '{"alg":"HS256","typ":"JWT"}';
    const forged = [
      signRaw(key, header, claimsText(',"permissions":["admin"]')),
      signRaw(key, header, claimsText(',"project_id":"other"')),
      signRaw(key, header, claimsText(',"extra":{"a":1,"a":2}')),
      signRaw(key, '{"alg":"HS256","typ":"JWT","alg":"HS256"}', claimsText()),
      signRaw(key, '{"alg":"none","typ":"JWT","alg":"HS256"}', claimsText()),
    ];
    for (const token of forged) expect(await status(token), token.split('.')[0]).to.deep.include({ status: 401, code: 'AUTH_001' });
  });

  it('refuses jku, x5u, jwk, x5c, crit and any header parameter it does not sign', async () => {
    const params = [
      '"jku":"http://127.0.0.1:1/keys.json"',
      '"x5u":"http://127.0.0.1:1/cert.pem"',
      '"jwk":{"kty":"oct","k":"AAAA"}',
      '"x5c":["MIIB"]',
      '"crit":["exp"],"exp":1',
      '"cty":"JWT"',
      '"b64":false',
      '"zip":"DEF"',
      '"x5t":"abc"',
    ];
    for (const param of params) {
      const answer = await status(signRaw(key, `{"alg":"HS256","typ":"JWT",${param}}`, claimsText()));
      expect(answer, param).to.deep.include({ status: 401, code: 'AUTH_001' });
    }
  });

  it("refuses a kid other than the sidecar's own, and an oversized header", async () => {
    for (const other of ['other-key', '', kid.toUpperCase(), 'k'.repeat(10_240)]) {
      expect(await status(signRaw(key, `{"alg":"HS256","typ":"JWT","kid":"${other}"}`, claimsText())), other.slice(0, 20)).to.deep.include({
        status: 401,
        code: 'AUTH_001',
      });
    }
    const padded = `{"alg":"HS256","typ":"JWT"${' '.repeat(600)}}`;
    expect(await status(signRaw(key, padded, claimsText()))).to.deep.include({ status: 401, code: 'AUTH_001' });
  });

  it('signs its own tokens with its kid', async () => {
    const header = JSON.parse(Buffer.from((await s.tokenFor()).split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header).to.deep.equal({ alg: 'HS256', typ: 'JWT', kid });
  });

  it('puts WWW-Authenticate: Bearer on every 401, with the RFC 6750 error where it applies', async () => {
    const token = await s.tokenFor();
    const missing = await s.request('GET', '/status');
    expectContractError(missing, 401, 'AUTH_001');
    expect(missing.headers['www-authenticate']).to.equal('Bearer realm="cco-sidecar"');
    const malformed = await s.request('GET', '/status', { headers: { authorization: `Basic ${b64('a:b')}` } });
    expect(malformed.headers['www-authenticate']).to.equal('Bearer realm="cco-sidecar", error="invalid_request"');
    const bad = await s.request('GET', '/status', { token: `${token.slice(0, -4)}AAAA` });
    expect(bad.headers['www-authenticate']).to.equal('Bearer realm="cco-sidecar", error="invalid_token"');
    const expired = await s.request('GET', '/status', {
      token: signRaw(key, '{"alg":"HS256","typ":"JWT"}', claimsText('', -120).replace(/"iat":\d+,"nbf":\d+/, `"iat":${now() - 600},"nbf":${now() - 600}`)),
    });
    expectContractError(expired, 401, 'AUTH_002');
    expect(expired.headers['www-authenticate']).to.equal('Bearer realm="cco-sidecar", error="invalid_token"');
  });

  it('accepts the scheme case-insensitively, and refuses two Authorization headers', async () => {
    const token = await s.tokenFor();
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await s.request('GET', '/status', { headers: { authorization: `${scheme} ${token}` } })).status, scheme).to.equal(200);
    }
    const twice = await sendRaw(
      s.handle.port,
      `GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
    );
    expectContractError(twice, 401, 'AUTH_001');
    expect(twice.headers['www-authenticate']).to.equal('Bearer realm="cco-sidecar", error="invalid_request"');
  });

  it('answers a wrong method on a protected path with 401 without a valid token, 405 with one (issue 13)', async () => {
    for (const token of [undefined, 'not.a.jwt']) {
      const res = await s.request('PUT', '/api/results', token ? { headers: { authorization: `Bearer ${token}` } } : {});
      expectContractError(res, 401, 'AUTH_001');
      expect(res.headers.allow).to.equal(undefined);
    }
    const allowed = await s.request('PUT', '/api/results', { token: s.adminToken });
    expectContractError(allowed, 405, 'METHOD_NOT_ALLOWED');
    // A public path still answers 405 to anyone: it reveals nothing that /health does not.
    expectContractError(await s.request('POST', '/health'), 405, 'METHOD_NOT_ALLOWED');
  });
});

describe('security: max_token_ttl_seconds in config and in the CLI (issue 15 item 2)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ config: { max_token_ttl_seconds: 7_200 } });
  });
  after(async () => {
    await s.stop();
  });

  it('refuses to mint past the configured maximum, and accepts up to it', async () => {
    const err = await s.handle.deps.tokens.mint({ sub: 'a', agent_type: 'x', project_id: 'p', permissions: [], ttl_seconds: 7_201 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/7201 s is over the sidecar's maximum of 7200 s/);
    expect((await s.request('GET', '/status', { token: await s.tokenFor({ ttl_seconds: 7_200 }) })).status).to.equal(200);
  });

  it("`token --ttl` over the sidecar's maximum exits 2 with a clear message; within it prints a token", async () => {
    const over = await runCli(['orchestration', 'token', '--agent-type', 'python-specialist', '--ttl', '86400', '--storage-path', s.storage]);
    expect(over.code).to.equal(2);
    expect(over.stderr.replace(/[\s›]+/g, ' ')).to.match(/--ttl 86400 is over the sidecar's maximum token lifetime of 7200 s \(max_token_ttl_seconds\)/);
    const ok = await runCli(['orchestration', 'token', '--agent-type', 'python-specialist', '--ttl', '7200', '--storage-path', s.storage]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect((await s.request('GET', '/status', { token: ok.stdout.trim() })).status).to.equal(200);
  });

  it('refuses a config whose token_ttl_seconds is over max_token_ttl_seconds', async () => {
    const { configFor } = await import('../../src/config/load-config.js');
    expect(() => configFor({ project_root: s.projectRoot, storage_path: s.storage, token_ttl_seconds: 7_200, max_token_ttl_seconds: 3_600 })).to.throw(
      /token_ttl_seconds: must not be larger than max_token_ttl_seconds/,
    );
  });
});
