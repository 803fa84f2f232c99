import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { openApiResponse } from '../../contract/observability.js';
import { buildOpenApi } from '../openapi.js';

/** `GET /openapi.json`: the API description, built once on first request. Behind auth like every route but /health (spec §2). */
export const openApiRoutes: RouteModule = (routers, deps) => {
  let document: Record<string, unknown> | undefined;
  defineRoute(
    routers,
    {
      method: 'get',
      path: '/openapi.json',
      tag: 'documents',
      summary: 'This OpenAPI 3.1 document',
      responses: { 200: { description: 'OpenAPI 3.1 JSON', schema: openApiResponse } },
    },
    () => {
      // Routes are all registered before the first request, so the document is complete here.
      document ??= buildOpenApi(routers.catalog, deps.version);
      return document;
    },
  );
};
