import { expect } from 'chai';
import { z } from 'zod';
import { buildRouters } from '../../src/server/create-app.js';
import { defineRoute } from '../../src/server/route-spec.js';
import type { RouteModule } from '../../src/server/routes/routers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** A route whose answer breaks its own declared schema, to show the check has teeth. */
const offContract: RouteModule = (routers) => {
  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/test/off-contract',
      tag: 'test',
      summary: 'Answers off its declared schema',
      responses: { 200: { description: 'declared a number', schema: z.object({ n: z.number() }) } },
    },
    () => ({ n: 'not a number' }),
  );
};

describe('Response schemas (src/contract)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ extraRoutes: [offContract] });
  });
  after(async () => {
    await s.stop();
  });

  it('every route declares a body schema for each success it documents', () => {
    const routers = buildRouters(s.handle.deps);
    const missing = routers.catalog.specs.flatMap((spec) => {
      const successes = Object.entries(spec.responses).filter(([status]) => Number(status) < 400);
      // A method kept only to answer 405 (GET/DELETE /mcp, stateless) has no success to document.
      if (successes.length === 0) return spec.responses[405] ? [] : [`${spec.method} ${spec.path}: no success documented`];
      return successes.filter(([, r]) => r.schema === undefined).map(([status]) => `${spec.method} ${spec.path} ${status}`);
    });
    expect(missing).to.deep.equal([]);
  });

  it('the OpenAPI document carries those schemas for every success answer', async () => {
    const doc = (await s.request('GET', '/openapi.json', { token: s.adminToken })).body;
    const bare: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, r] of Object.entries(op.responses as Record<string, any>)) {
          if (Number(status) < 400 && !Object.values(r.content ?? {}).some((c: any) => c.schema)) bare.push(`${method} ${p} ${status}`);
        }
      }
    }
    expect(bare).to.deep.equal([]);
  });

  it('the test server checks every answer against its route schema and fails an off-contract body', async () => {
    let failure: Error | undefined;
    try {
      await s.request('GET', '/api/test/off-contract', { token: s.adminToken });
    } catch (err) {
      failure = err as Error;
    }
    expect(failure?.message).to.match(/does not match the declared schema/);
  });

  it('the test server checks error answers too: a real 404 passes as the contract error body', async () => {
    const res = await s.request('GET', '/api/no-such-route', { token: s.adminToken });
    expect([res.status, res.body.code]).to.deep.equal([404, 'NOT_FOUND']);
  });
});
