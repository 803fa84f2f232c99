import { expect } from 'chai';
import { isSafeId, safeId } from '../../src/util/ids.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { testRoutes } from '../helpers/test-routes.js';
import { expectContractError } from '../helpers/contract.js';

/**
 * HAZARDS.md "Routing and identifiers". Route shape protects nothing: the router decodes %2F and
 * %00 inside parameters, so ids are validated on the decoded value (safeId), and the two fs
 * errors only a client's path can cause are 400s, never 500s, even in a route that forgot.
 * (Path containment with realpath + path.relative belongs to the context engine's file reads.)
 */
describe('security: routing and identifiers', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ extraRoutes: [testRoutes()] });
  });
  after(async () => {
    await s.stop();
  });

  it('the router really decodes %2F and %00 in parameters (why ids are checked after decoding)', async () => {
    const res = await s.request('GET', '/api/test/stat/..%2F..%2F..%2Fetc%2Fpasswd', { token: s.adminToken });
    expect(res.status).to.equal(200); // the unvalidated test route reached /etc/passwd: the hazard is real
    expect(res.body).to.deep.equal({ exists: true });
  });

  it('safeId refuses every hostile decoded id', () => {
    const hostile = [
      '..',
      '../etc',
      '..%2Fetc',
      'a/../b',
      'a/b',
      '/etc/passwd',
      'a\u0000b',
      '\u0000',
      '',
      '.hidden',
      '-flag',
      'a'.repeat(129),
      'C:\\x',
      'a\\b',
      'é',
      'a b',
      'a\nb',
      '\u202eevil',
      'ａ',
      '__proto__',
      'x..y',
    ];
    for (const id of hostile) {
      expect(isSafeId(id), JSON.stringify(id)).to.equal(false);
      expect(safeId.safeParse(id).success, JSON.stringify(id)).to.equal(false);
    }
    for (const id of ['ISSUE-1', 'python-specialist', 'a.b_c-9', 'x'.repeat(128)]) expect(isSafeId(id), id).to.equal(true);
  });

  it('refuses traversal, NUL and over-long ids in every real route parameter with 400, never 5xx', async () => {
    const hostile = ['..%2F..%2F..%2Fetc%2Fpasswd', '..', '%2Fetc%2Fpasswd', 'a%00b', `${'n'.repeat(300)}`, '%2e%2e', '.hidden', 'a%5Cb'];
    const templates: Array<[string, string]> = [
      ['GET', '/api/context/{}/python-specialist'],
      ['GET', '/api/context/ISSUE-1/{}'],
      ['DELETE', '/api/cache/context/{}'],
      ['GET', '/api/results/{}'],
      ['GET', '/api/agents/{}/status'],
      ['GET', '/api/agents/{}/logs'],
      ['DELETE', '/api/agents/{}'],
      ['POST', '/api/events/{}'],
      ['GET', '/api/events/wait/{}?timeout=0'],
      ['POST', '/api/events/dead-letter/{}/redrive'],
    ];
    for (const [method, template] of templates) {
      for (const id of hostile) {
        const path = template.replace('{}', id);
        const res = await s.request(method, path, { token: s.adminToken, ...(method === 'POST' ? { body: { data: {} } } : {}) });
        expect(res.status, `${method} ${path}`).to.be.oneOf([400, 404]);
        expectContractError(res);
        expect(res.body.code, `${method} ${path}`).to.be.oneOf(['REQ_001', 'EVT_002', 'NOT_FOUND', 'AGT_002']);
      }
    }
  });

  it('answers a NUL byte or an over-long name reaching fs with 400 REQ_001, never 500', async () => {
    expectContractError(await s.request('GET', '/api/test/stat/a%00b', { token: s.adminToken }), 400, 'REQ_001');
    expectContractError(await s.request('GET', `/api/test/stat/${'n'.repeat(300)}`, { token: s.adminToken }), 400, 'REQ_001');
  });

  it('matches routes case-insensitively and with a trailing slash, with the same auth', async () => {
    for (const path of ['/STATUS', '/status/', '/Status/']) {
      expectContractError(await s.request('GET', path), 401, 'AUTH_001');
      expect((await s.request('GET', path, { token: s.adminToken })).status, path).to.equal(200);
    }
  });
});
