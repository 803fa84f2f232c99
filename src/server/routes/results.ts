import { z } from 'zod';
import { listResultsQuery, resultIdParams, storeResultBody } from '../../results/results-service.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../../results/file-result-store.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';
import { servicesOf } from '../services.js';

const nextAgentSchema = z.object({ agent_type: z.string(), priority: z.enum(['high', 'medium', 'low']), reason: z.string() });
const storedSchema = z.object({
  id: z.string(), stored: z.literal(true), storage_path: z.string(), next_agents: z.array(nextAgentSchema),
  event_published: z.boolean(), event_id: z.string().nullable(), timestamp: z.string(),
});

/**
 * `POST /api/results`, `GET /api/results`, `GET /api/results/:id` (spec §4); the scoping of
 * spec §2 lives in `ResultsService`, which the MCP tools call too.
 */
export const resultRoutes: RouteModule = (routers, deps) => {
  const results = servicesOf(deps).results;

  defineRoute(routers, {
    method: 'post', path: '/api/results', tag: 'results', permission: 'write_results',
    summary: 'Store an agent\'s result durably; publishes agent_completed / agent_failed on topic implementation',
    body: storeResultBody,
    responses: {
      201: { description: 'Stored', schema: storedSchema },
      400: { description: 'REQ_001 with field paths' },
      403: { description: 'AUTH_003: other agent type, agent id, project or issue' },
      507: { description: 'STR_001: disk full' },
    },
  }, async (ctx, { body }) => {
    const answer = await results.storeResult(authOf(ctx), body);
    ctx.status = 201;
    return answer;
  });

  defineRoute(routers, {
    method: 'get', path: '/api/results', tag: 'results', permission: 'read_results',
    summary: `List results, newest stored first; page with next_cursor (limit default ${DEFAULT_LIMIT}, max ${MAX_LIMIT})`,
    query: listResultsQuery,
    responses: { 200: { description: '{results: [envelope…], next_cursor: string | null}' }, 403: { description: 'AUTH_003: other project or issue' } },
  }, (ctx, { query }) => results.listResults(authOf(ctx), query));

  defineRoute(routers, {
    method: 'get', path: '/api/results/:id', tag: 'results', permission: 'read_results',
    summary: 'One result envelope by id',
    params: resultIdParams,
    responses: { 200: { description: 'The envelope' }, 404: { description: 'NOT_FOUND' }, 403: { description: 'AUTH_003: other project or issue' } },
  }, (ctx, { params }) => results.getResult(authOf(ctx), params.id));
};
