import { cacheClearedResponse, cacheIssueParams, contextParams, contextQuery, contextResponse } from '../../contract/context.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';
import { withLeasedBy } from '../../coordination/context-leases.js';

/**
 * Context injection and its cache (spec §4), doors onto the context access service:
 * - `GET /api/context/:issue_id/:agent_type` — `read_context` for the token's own agent type,
 *   `read_project_context` for any type; the token's project and issue scope apply.
 * - `DELETE /api/cache/context/:issue_id`, `DELETE /api/cache/all` — `read_project_context`;
 *   404 when nothing was cached.
 */
export const contextRoutes: RouteModule = (routers, deps) => {
  const { context } = routers.services;

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/context/:issue_id/:agent_type',
      tag: 'context',
      summary: 'The slice of the project an agent needs for an issue (ranked, budgeted, secrets removed)',
      params: contextParams,
      query: contextQuery,
      responses: {
        200: { description: 'The context (cache_hit says whether it was served from the cache)', schema: contextResponse },
        403: { description: 'Another agent type without read_project_context, or another project/issue' },
        413: { description: 'max_bytes over the 10 MiB cap (CTX_002)' },
        500: { description: 'Context generation failed (CTX_001)' },
      },
    },
    async (ctx, { params, query }) => {
      const auth = authOf(ctx);
      const { body, freshness } = await context.get(auth, params, query);
      // How fresh the answer is guaranteed to be: watched (events) or bounded by the TTL.
      ctx.set('X-Context-Freshness', freshness);
      ctx.set('X-Cache', body.cache_hit ? 'HIT' : 'MISS');
      // Leases change faster than cached contexts: marked on a copy after the cache.
      return withLeasedBy(body, deps.coordination?.leases, auth.sub);
    },
  );

  defineRoute(
    routers,
    {
      method: 'delete',
      path: '/api/cache/context/:issue_id',
      tag: 'context',
      permission: 'read_project_context',
      summary: 'Drop the cached contexts of one issue',
      params: cacheIssueParams,
      responses: { 200: { description: 'What was removed', schema: cacheClearedResponse }, 404: { description: 'Nothing was cached for this issue' } },
    },
    (ctx, { params }) => context.clearIssue(authOf(ctx), params.issue_id),
  );

  defineRoute(
    routers,
    {
      method: 'delete',
      path: '/api/cache/all',
      tag: 'context',
      permission: 'read_project_context',
      summary: 'Drop every cached context (git facts and previous outputs are re-read too)',
      responses: { 200: { description: 'What was removed', schema: cacheClearedResponse }, 404: { description: 'Nothing was cached' } },
    },
    (ctx) => context.clearAll(authOf(ctx)),
  );
};
