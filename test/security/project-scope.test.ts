import { expect } from 'chai';
import type { Layer } from '@koa/router';
import { buildRouters } from '../../src/server/create-app.js';
import type { RouteModule, Routers } from '../../src/server/routes/routers.js';
import type { Permission } from '../../src/auth/permissions.js';
import { ALL_PERMISSIONS, startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';

/**
 * Issue 15 item 1: one shared guard applies the project (and issue) scope to every route. The
 * routes are taken from the router itself (its layers, not a hand-written list and not the
 * OpenAPI catalog), so a route registered later, or registered around `defineRoute`, is covered
 * and fails this test if it forgets the guard.
 */
interface RouteCase {
  method: string;
  path: string;
  layer: Layer;
}

function routeCases(routers: Routers): RouteCase[] {
  return routers.router.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: String(layer.path), layer })));
}

const concrete = (path: string, value = 'sample1'): string => path.replace(/:([A-Za-z0-9_]+)/g, value);
const isPublic = (routers: Routers, layer: Layer): boolean => layer.stack.includes(routers.publicGuard);
const NON_ADMIN = ALL_PERMISSIONS.filter((p) => p !== 'admin') as Permission[];

/** Every route a foreign-project token reaches without 403 AUTH_003 (public routes excepted). */
async function unguarded(s: TestServer, routers: Routers, token: string): Promise<string[]> {
  const misses: string[] = [];
  for (const route of routeCases(routers)) {
    if (isPublic(routers, route.layer)) continue;
    const res = await s.request(route.method, concrete(route.path), { token, ...(route.method === 'GET' ? {} : { body: {} }) });
    if (res.status !== 403 || res.body?.code !== 'AUTH_003') misses.push(`${route.method} ${route.path} → ${res.status}`);
    else expectContractError(res, 403, 'AUTH_003');
  }
  return misses;
}

/** A route registered on the router directly, around `defineRoute` and its guard. */
const rogueRoute: RouteModule = (routers) => {
  routers.router.get('/api/rogue/:issue_id', (ctx) => {
    ctx.body = { reached: true };
  });
};

describe('security: project and issue scope on every registered route (issue 15)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ extraRoutes: [rogueRoute] });
  });
  after(async () => {
    await s.stop();
  });

  it('refuses a foreign-project token with every non-admin permission on every route with 403 AUTH_003', async function () {
    this.timeout(60_000);
    const routers = buildRouters(s.handle.deps);
    const cases = routeCases(routers);
    expect(cases.length).to.be.above(20);
    const foreign = await s.tokenFor({ agent_type: 'chief-architect', sub: 'agB', project_id: 'P2', permissions: NON_ADMIN });
    expect(await unguarded(s, routers, foreign)).to.deep.equal([]);
    // The same token in its own project is let through the guard (so 403 above is the scope).
    const own = await s.tokenFor({ agent_type: 'chief-architect', sub: 'agB', permissions: NON_ADMIN });
    expect((await s.request('GET', '/api/events?limit=1', { token: own })).status).to.equal(200);
  });

  it('fails for a route registered without the guard (the walk covers what the router serves)', async () => {
    const routers = buildRouters(s.handle.deps, [rogueRoute]);
    const foreign = await s.tokenFor({ agent_type: 'chief-architect', sub: 'agB', project_id: 'P2', permissions: NON_ADMIN });
    expect(await unguarded(s, routers, foreign)).to.deep.equal(['GET /api/rogue/:issue_id → 200']);
  });

  it('lets an admin token of another project through (admin implies other projects)', async () => {
    const admin = await s.tokenFor({ agent_type: 'operator', sub: 'op2', project_id: 'P2', permissions: ['admin'] });
    expect((await s.request('GET', '/api/events?limit=1', { token: admin })).status).to.equal(200);
    expect((await s.request('GET', '/status', { token: admin })).status).to.equal(200);
  });

  it('refuses an issue-scoped token on every route whose :issue_id names another issue', async () => {
    const routers = buildRouters(s.handle.deps);
    const scoped = await s.tokenFor({ agent_type: 'chief-architect', sub: 'agI', issue_id: 'ISSUE-1', permissions: NON_ADMIN });
    const withIssue = routeCases(routers).filter((r) => r.path.includes(':issue_id'));
    expect(withIssue.length).to.be.above(1);
    for (const route of withIssue) {
      const res = await s.request(route.method, concrete(route.path, 'ISSUE-2'), { token: scoped, ...(route.method === 'GET' ? {} : { body: {} }) });
      expectContractError(res, 403, 'AUTH_003');
      expect(res.body.details.token_issue_id, `${route.method} ${route.path}`).to.equal('ISSUE-1');
    }
  });

  it("closes the reported hole: a P2 token neither reads nor publishes this project's events", async () => {
    const p2 = await s.tokenFor({ agent_type: 'codex', sub: 'agB', project_id: 'P2', permissions: ['subscribe_events', 'publish_events'] });
    const published = await s.request('POST', '/api/events/build.done', { token: s.adminToken, body: { data: { secret: 'P1_ONLY' } } });
    expect(published.status).to.equal(202);
    for (const path of ['/api/events/wait/build.done?timeout=100', '/api/events', '/api/events/dead-letter']) {
      const res = await s.request('GET', path, { token: p2 });
      expectContractError(res, 403, 'AUTH_003');
      expect(res.text).not.to.include('P1_ONLY');
    }
    expectContractError(await s.request('POST', '/api/events/build.done', { token: p2, body: { data: { forged: true } } }), 403, 'AUTH_003');
    const page = await s.request('GET', '/api/events?type=build.done', { token: s.adminToken });
    expect(page.body.events.map((e: { data: object }) => e.data)).to.deep.equal([{ secret: 'P1_ONLY' }]);
  });
});
