import { expect } from 'chai';
import { buildRouters } from '../../src/server/create-app.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';

/**
 * HAZARDS.md "Routing and identifiers": routes match case-insensitively and with a trailing slash;
 * auth exemptions must be decided on the matched route. For EVERY route in the catalog (so routes
 * merged later are covered automatically) and many spellings of its path, an anonymous request
 * never reaches a handler: if an admin request with the same spelling reaches the route, the
 * anonymous one is 401; nothing answers 5xx.
 */
function variants(concrete: string): string[] {
  const segments = concrete.split('/').filter(Boolean);
  const last = segments.length - 1;
  return [
    concrete,
    concrete.toUpperCase(),
    concrete.replace(/^\/(.)/, (_m, c: string) => `/${c.toUpperCase()}`),
    `${concrete}/`,
    `/${concrete}`,
    concrete.replace(/\//g, '//'),
    `${concrete}//`,
    `${concrete};x=1`,
    `/${[...segments.slice(0, last), ''].join('/')};a=b/${segments[last]}`,
    `${concrete}?x=/health`,
    `${concrete}?/health`,
    `${concrete}%00`,
    `${concrete}%2F`,
    `/${segments.join('%2F')}`,
    `/${segments.join('%2f')}`,
    `${concrete}/.`,
    `/./${segments.join('/')}`,
    `/health/../${segments.join('/')}`,
    `/health%2F..%2F${segments.join('%2F')}`,
    `${concrete}%20`,
    `${concrete}.json`,
    concrete.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
  ];
}

describe('security: every route variant gets the same auth', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('over every route in the catalog and every spelling of its path', async function () {
    this.timeout(60_000);
    const { catalog } = buildRouters(s.handle.deps);
    expect(catalog.specs.length).to.be.above(4);
    let checked = 0;
    let reached = 0;
    const protectedRoutes = catalog.specs.filter((spec) => spec.auth !== 'public').length;
    for (const spec of catalog.specs) {
      const concrete = spec.path.replace(/:([A-Za-z0-9_]+)/g, 'sample1');
      const method = spec.method.toUpperCase();
      const body = method === 'GET' ? undefined : {};
      // Long-poll routes must not hold the run for their default 30 s.
      const waits = spec.query && 'shape' in spec.query && 'timeout' in (spec.query as unknown as { shape: object }).shape;
      for (const variant of variants(concrete)) {
        const path = waits ? `${variant}${variant.includes('?') ? '&' : '?'}timeout=50` : variant;
        const where = `${method} ${path} (route ${spec.path})`;
        const anon = await s.request(method, path, { body });
        // A fresh admin token each time: refresh/revoke routes may retire the one just used.
        const admin = await s.request(method, path, {
          body,
          token: await s.tokenFor({ sub: 'variant-admin', agent_type: 'operator', permissions: ['admin'] }),
        });
        if (spec.auth === 'public') {
          // /health may answer 503 "unhealthy" by design (no event bus wired); never anything else 5xx.
          for (const r of [anon, admin]) if (r.status >= 500) expect(r.body.status, where).to.equal('unhealthy');
          continue;
        }
        expect(anon.status, where).to.be.below(500);
        expect(admin.status, where).to.be.below(500);
        expect(anon.status, where).to.be.at.least(400);
        expectContractError(anon);
        const reachedRoute = ![404, 405, 414].includes(admin.status);
        if (reachedRoute) {
          expect(anon.status, `${where}: admin got ${admin.status}`).to.equal(401);
          reached++;
        }
        checked++;
      }
    }
    expect(checked).to.be.above(50);
    // At least the exact, upper-case, capitalised and trailing-slash spellings reach each route.
    expect(reached).to.be.at.least(4 * protectedRoutes);
  });

  it('decides exemptions on the matched route, never on a substring of the path or query', async () => {
    for (const path of ['/status?x=/health', '/status#/health', '/status/health', '/health/../status', '/metrics;/health', '/openapi.json?/health']) {
      const res = await s.request('GET', path);
      expect(res.status, path).to.be.oneOf([401, 404]);
      expectContractError(res);
    }
  });
});
