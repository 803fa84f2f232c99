import { z } from 'zod';
import type { RouteModule } from './routers.js';
import type { AppDeps } from '../app-deps.js';
import { defineRoute } from '../route-spec.js';
import { authOf, isAdmin, requireIssueScope, requireProjectScope } from '../permissions.js';
import { ForbiddenError, NotFoundError } from '../../errors/index.js';
import { safeId } from '../../util/ids.js';
import type { ContextService } from '../../context/index.js';
import { contextParams, contextQuery } from '../../context/context-access.js';
import { servicesOf } from '../services.js';

const issueParams = z.object({ issue_id: safeId });

function engine(deps: AppDeps): ContextService {
  return servicesOf(deps).context.service();
}

/**
 * Context injection and its cache (spec §4):
 * - `GET /api/context/:issue_id/:agent_type` — `read_context` for the token's own agent type,
 *   `read_project_context` for any type; the token's project and issue scope apply.
 * - `DELETE /api/cache/context/:issue_id`, `DELETE /api/cache/all` — `read_project_context`;
 *   404 when nothing was cached.
 */
export const contextRoutes: RouteModule = (routers, deps) => {
  defineRoute(routers, {
    method: 'get', path: '/api/context/:issue_id/:agent_type', tag: 'context',
    summary: 'The slice of the project an agent needs for an issue (ranked, budgeted, secrets removed)',
    params: contextParams, query: contextQuery,
    responses: {
      200: { description: 'The context (cache_hit says whether it was served from the cache)' },
      403: { description: 'Another agent type without read_project_context, or another project/issue' },
      413: { description: 'max_bytes over the 10 MiB cap (CTX_002)' },
      500: { description: 'Context generation failed (CTX_001)' },
    },
  }, async (ctx, { params, query }) => {
    const body = await servicesOf(deps).context.get(authOf(ctx), params, query);
    const report = engine(deps).watcherReport();
    // How fresh the answer is guaranteed to be: watched (events) or bounded by the TTL.
    ctx.set('X-Context-Freshness', report.phase === 'ok' ? 'watch' : `ttl=${report.ttl_ms}ms`);
    ctx.set('X-Cache', body.cache_hit ? 'HIT' : 'MISS');
    return body;
  });

  defineRoute(routers, {
    method: 'delete', path: '/api/cache/context/:issue_id', tag: 'context', permission: 'read_project_context',
    summary: 'Drop the cached contexts of one issue', params: issueParams,
    responses: { 200: { description: '{cleared, entries_removed, bytes_freed, timestamp}' }, 404: { description: 'Nothing was cached for this issue' } },
  }, (ctx, { params }) => {
    const auth = authOf(ctx);
    requireProjectScope(auth, deps.config.project_id);
    requireIssueScope(auth, params.issue_id);
    const cleared = engine(deps).clearIssue(params.issue_id);
    if (cleared.entries_removed === 0) throw new NotFoundError('No cached context for this issue', { issue_id: params.issue_id });
    return { cleared: true, ...cleared, timestamp: new Date().toISOString() };
  });

  defineRoute(routers, {
    method: 'delete', path: '/api/cache/all', tag: 'context', permission: 'read_project_context',
    summary: 'Drop every cached context (git facts and previous outputs are re-read too)',
    responses: { 200: { description: '{cleared, entries_removed, bytes_freed, timestamp}' }, 404: { description: 'Nothing was cached' } },
  }, (ctx) => {
    const auth = authOf(ctx);
    requireProjectScope(auth, deps.config.project_id);
    // A token limited to one issue must not clear every other issue's contexts.
    if (auth.issue_id !== undefined && !isAdmin(auth)) throw new ForbiddenError('Token is scoped to one issue', { token_issue_id: auth.issue_id });
    const cleared = engine(deps).clearAll();
    if (cleared.entries_removed === 0) throw new NotFoundError('Nothing was cached');
    return { cleared: true, ...cleared, timestamp: new Date().toISOString() };
  });
};
