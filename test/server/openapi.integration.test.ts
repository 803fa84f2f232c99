import { expect } from 'chai';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Router } from '@koa/router';
import { buildRouters } from '../../src/server/create-app.js';
import type { Routers } from '../../src/server/routes/routers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** `METHOD /path` of every route layer the Koa routers would dispatch to (HEAD is implied by GET). */
function routerLayers(routers: Routers): string[] {
  const out: string[] = [];
  for (const router of [routers.router] as Router[]) {
    for (const layer of router.stack) {
      for (const method of layer.methods) if (method !== 'HEAD') out.push(`${method} ${String(layer.path)}`);
    }
  }
  return out.sort();
}

function catalogRoutes(routers: Routers): string[] {
  return routers.catalog.specs.map((spec) => `${spec.method.toUpperCase()} ${spec.path}`).sort();
}

describe('OpenAPI 3.1 document', () => {
  let s: TestServer;
  let doc: any;
  before(async () => {
    s = await startTestServer();
    doc = (await s.request('GET', '/openapi.json', { token: s.adminToken })).body;
  });
  after(async () => {
    await s.stop();
  });

  it('is a valid OpenAPI 3.1 document (checked against the official schema)', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
    expect(validator.version).to.equal('3.1');
  });

  it('lists every route the app dispatches to: a route added without defineRoute fails here', () => {
    const routers = buildRouters(s.handle.deps);
    const layers = routerLayers(routers);
    expect(layers).to.deep.equal(catalogRoutes(routers));
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1')}`))
      .sort();
    expect(documented).to.deep.equal(layers);
  });

  it('the comparison catches an undocumented route (negative control)', () => {
    const routers = buildRouters(s.handle.deps);
    routers.router.get('/api/sneaky', (ctx) => {
      ctx.body = {};
    });
    expect(routerLayers(routers)).not.to.deep.equal(catalogRoutes(routers));
  });

  it('documents auth, the error schema and the refusals of every protected operation', () => {
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${p}`;
        // The public routes: /health and the dashboard's static page (its data needs a token).
        if (p === '/health' || p === '/dashboard' || p === '/dashboard/{file}') {
          expect(op.security, where).to.deep.equal([]);
          continue;
        }
        expect(op.security, where).to.equal(undefined); // inherits the global bearer requirement
        for (const status of ['401', '403', '429']) {
          expect(op.responses[status]?.content?.['application/json']?.schema, `${where} ${status}`).to.deep.equal({ $ref: '#/components/schemas/Error' });
        }
      }
    }
    expect(doc.security).to.deep.equal([{ bearer: [] }]);
  });
});
