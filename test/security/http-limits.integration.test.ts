import { expect } from 'chai';
import type net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { testRoutes } from '../helpers/test-routes.js';
import { openIdleSocket, sendRaw } from '../helpers/raw-socket.js';
import { expectContractError } from '../helpers/contract.js';

/** HAZARDS.md "Bodies, sockets and long-polls" + issue 5 item 3: limits a client meets before any route. */
describe('security: Host allowlist (DNS rebinding)', () => {
  let s: TestServer;
  let port: number;
  before(async () => {
    s = await startTestServer({ config: { allowed_hosts: ['sidecar.internal', 'Build-Box.local:3001'] } });
    port = s.handle.port;
  });
  after(async () => {
    await s.stop();
  });

  const withHost = (host: string | undefined, path = '/health') =>
    sendRaw(port, `GET ${path} HTTP/1.1\r\n${host === undefined ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`);

  it('answers loopback names and configured hosts on any port', async () => {
    for (const host of [
      '127.0.0.1',
      `127.0.0.1:${port}`,
      'localhost',
      `LOCALHOST:${port}`,
      '[::1]',
      `[::1]:${port}`,
      'sidecar.internal:8080',
      'build-box.local',
    ]) {
      // /health answers 503 while no event bus is wired; either way it is /health answering.
      expect((await withHost(host)).body.service, host).to.equal('orchestration-sidecar');
    }
  });

  it('refuses any other Host with 421 REQ_004, before auth and on every route', async () => {
    for (const host of [
      'evil.example',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      'attacker.test:3001',
      'sidecar.internal.evil',
      '[::2]',
      'local host',
      '',
    ]) {
      const res = await withHost(host);
      expectContractError(res, 421, 'REQ_004');
    }
    expectContractError(await withHost('evil.example', '/status'), 421, 'REQ_004');
    expectContractError(await withHost('evil.example', '/api/nope'), 421, 'REQ_004');
  });

  it("refuses a request without a Host header with 421 REQ_004 (JSON, not Node's bare 400)", async () => {
    expectContractError(await withHost(undefined), 421, 'REQ_004');
    const http10 = await sendRaw(port, 'GET /health HTTP/1.0\r\n\r\n');
    expectContractError(http10, 421, 'REQ_004');
  });
});

describe('security: URL, header and body size limits, malformed requests', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('answers a URL over 8 KiB with 414 REQ_005', async () => {
    const res = await s.request('GET', `/health?q=${'a'.repeat(9 * 1024)}`);
    expectContractError(res, 414, 'REQ_005');
    expect(res.body.details.limit_bytes).to.equal(8192);
  });

  it('answers a URL beyond the header limit with 414 REQ_005 and huge headers with 431 REQ_006, as JSON', async () => {
    const longUrl = await sendRaw(s.handle.port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expectContractError(longUrl, 414, 'REQ_005');
    expect(longUrl.closed).to.equal(true);
    const bigHeaders = await sendRaw(s.handle.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expectContractError(bigHeaders, 431, 'REQ_006');
  });

  it('answers malformed HTTP with 400 REQ_001 as JSON', async () => {
    for (const garbage of [
      'GARBAGE\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      '\u0000\u0001\u0002\r\n\r\n',
    ]) {
      const res = await sendRaw(s.handle.port, garbage);
      expectContractError(res, 400, 'REQ_001');
    }
  });

  it('refuses bodies that are not JSON (415), too large (413) or too deep (400), after auth only', async () => {
    const token = s.adminToken;
    expectContractError(await s.request('POST', '/api/auth/revoke', { token, raw: 'jti=x', headers: { 'content-type': 'text/plain' } }), 415, 'REQ_003');
    expectContractError(
      await s.request('POST', '/api/auth/revoke', { token, raw: '{}', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'REQ_003',
    );
    expectContractError(
      await s.request('POST', '/api/auth/revoke', { token, raw: `{"jti":"${'x'.repeat(11 * 1024 * 1024)}"}`, headers: { 'content-type': 'application/json' } }),
      413,
      'REQ_002',
    );
    expectContractError(
      await s.request('POST', '/api/auth/revoke', { token, raw: '['.repeat(100_000) + ']'.repeat(100_000), headers: { 'content-type': 'application/json' } }),
      400,
      'REQ_001',
    );
    // __proto__ in a body never pollutes anything and is refused by the strict schema.
    const proto = await s.request('POST', '/api/auth/revoke', {
      token,
      raw: '{"jti":"a","__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(proto.status).to.be.oneOf([400]);
    expect(({} as Record<string, unknown>).admin).to.equal(undefined);
    // A `+json` media type is parsed as JSON, never silently turned into `{}`.
    const plusJson = await s.request('POST', '/api/auth/revoke', { token, raw: '{"jti":7}', headers: { 'content-type': 'application/merge-patch+json' } });
    expectContractError(plusJson, 400, 'REQ_001');
    expect(plusJson.body.details.issues.map((i: { path: string }) => i.path)).to.deep.equal(['body.jti']);
  });

  it('never sends X-Powered-By, and answers wrong methods with 405 and Allow on protected routes too', async () => {
    const res = await s.request('POST', '/status', { token: s.adminToken, body: {} });
    expectContractError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).to.equal('GET, HEAD');
    for (const r of [res, await s.request('GET', '/health'), await s.request('GET', '/nope')]) expect(r.headers['x-powered-by']).to.equal(undefined);
  });
});

describe('security: tokens only from the Authorization header', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('ignores tokens in the query string and in cookies', async () => {
    const token = await s.tokenFor();
    for (const path of [`/status?token=${token}`, `/status?access_token=${token}`, `/status?jwt=${token}&authorization=Bearer%20${token}`]) {
      expectContractError(await s.request('GET', path), 401, 'AUTH_001');
    }
    for (const cookie of [`token=${token}`, `jwt=${token}`, `access_token=${token}; authorization=Bearer ${token}`, `Authorization=Bearer%20${token}`]) {
      expectContractError(await s.request('GET', '/status', { headers: { cookie } }), 401, 'AUTH_001');
    }
    expect((await s.request('GET', '/status', { token })).status).to.equal(200);
  });

  it('accepts only "Bearer <JWT>", not other schemes or two headers folded together', async () => {
    const token = await s.tokenFor();
    for (const authorization of [
      token,
      `bearer${token}`,
      `Basic ${Buffer.from(`x:${token}`).toString('base64')}`,
      `Bearer ${token}, Bearer ${token}`,
      `Bearer ${token} extra`,
      `Token ${token}`,
    ]) {
      expectContractError(await s.request('GET', '/status', { headers: { authorization } }), 401, 'AUTH_001');
    }
  });
});

describe('security: slow clients and connection caps', () => {
  let s: TestServer;
  const sockets: net.Socket[] = [];
  before(async () => {
    s = await startTestServer({
      extraRoutes: [testRoutes()],
      config: { http: { headers_timeout_ms: 600, request_timeout_ms: 1_000, max_connections: 8 } },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  after(async () => {
    await s.stop();
  });

  it('answers a slowloris (headers never finished) or a silent connection with 408 REQ_007 and closes it', async () => {
    const [slow, silent] = await Promise.all([
      sendRaw(s.handle.port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a', 4_000),
      sendRaw(s.handle.port, [], 4_000),
    ]);
    for (const res of [slow, silent]) {
      expect(res.closed).to.equal(true);
      expectContractError(res, 408, 'REQ_007');
      expect(res.ms).to.be.below(2_500); // 600 ms + a 1 s check interval at most
    }
  });

  it('answers a body that trickles in past request_timeout with 408 and closes it', async () => {
    const head = `POST /api/test/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${s.adminToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`;
    const res = await sendRaw(s.handle.port, head, 4_000);
    expect(res.closed).to.equal(true);
    expectContractError(res, 408, 'REQ_007');
  });

  it('lets a request whose answer takes longer than request_timeout finish (long-polls are not cut)', async () => {
    const res = await s.request('GET', '/api/test/slow?ms=2200', { token: s.adminToken });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ waited_ms: 2200 });
  });

  it('answers connections beyond max_connections with 503 SRV_001 and Retry-After, and recovers', async () => {
    for (let i = 0; i < 8; i++) sockets.push(await openIdleSocket(s.handle.port));
    await new Promise((r) => setTimeout(r, 50));
    const over = await sendRaw(s.handle.port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expectContractError(over, 503, 'SRV_001');
    expect(over.headers['retry-after']).to.equal('1');
    expect(over.headers.connection).to.equal('close');
    expect(over.closed).to.equal(true);
    for (const socket of sockets.splice(0)) socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await s.request('GET', '/health')).body.service).to.equal('orchestration-sidecar');
  });
});
