import {
  RESULTS_DEFAULT_LIMIT,
  RESULTS_MAX_LIMIT,
  listResultsQuery,
  resultEnvelopeSchema,
  resultIdParams,
  resultPageSchema,
  storeResultBody,
  storeResultResponse,
} from '../../contract/results.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';

/** Kept for importers from before the services existed. */
export { RESULT_EVENT_TOPIC } from '../../services/results-service.js';

/** `POST /api/results`, `GET /api/results`, `GET /api/results/:id` (spec §4): doors onto the results service. */
export const resultRoutes: RouteModule = (routers) => {
  const { results } = routers.services;

  defineRoute(
    routers,
    {
      method: 'post',
      path: '/api/results',
      tag: 'results',
      permission: 'write_results',
      audit: 'data',
      summary: "Store an agent's result durably; publishes agent_completed / agent_failed on topic implementation",
      body: storeResultBody,
      responses: {
        201: { description: 'Stored', schema: storeResultResponse },
        400: { description: 'REQ_001 with field paths' },
        403: { description: 'AUTH_003: other agent type, agent id, project or issue' },
        507: { description: 'STR_001: disk full' },
      },
    },
    async (ctx, { body }) => {
      const answer = await results.store(authOf(ctx), body);
      ctx.status = 201;
      return answer;
    },
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/results',
      tag: 'results',
      permission: 'read_results',
      summary: `List results, newest stored first; page with next_cursor (limit default ${RESULTS_DEFAULT_LIMIT}, max ${RESULTS_MAX_LIMIT})`,
      query: listResultsQuery,
      responses: {
        200: { description: 'A page of envelopes; next_cursor is null on the last page', schema: resultPageSchema },
        403: { description: 'AUTH_003: other project or issue' },
      },
    },
    (ctx, { query }) => results.list(authOf(ctx), query),
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/results/:id',
      tag: 'results',
      permission: 'read_results',
      summary: 'One result envelope by id',
      params: resultIdParams,
      responses: {
        200: { description: 'The envelope', schema: resultEnvelopeSchema },
        404: { description: 'NOT_FOUND' },
        403: { description: 'AUTH_003: other project or issue' },
      },
    },
    (ctx, { params }) => results.get(authOf(ctx), params.id),
  );
};
