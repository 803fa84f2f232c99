import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { buildOpenApi } from '../openapi.js';

/** `GET /openapi.json` (no auth): the API description, built once on first request. */
export const openApiRoutes: RouteModule = (routers, deps) => {
  let document: Record<string, unknown> | undefined;
  defineRoute(routers, {
    method: 'get', path: '/openapi.json', tag: 'documents', auth: 'public', summary: 'This OpenAPI 3.1 document',
    responses: { 200: { description: 'OpenAPI 3.1 JSON' } },
  }, () => {
    // Routes are all registered before the first request, so the document is complete here.
    document ??= buildOpenApi(routers.catalog, deps.version);
    return document;
  });
};
