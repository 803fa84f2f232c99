import { z } from 'zod';
import { ForbiddenError, NotFoundError, StorageReadError } from '../../errors/index.js';
import { safeId } from '../../util/ids.js';
import { agentIdSchema, isoDateTime, resultIdSchema, resultPayloadSchema } from '../../results/envelope-schema.js';
import { DEFAULT_LIMIT, MAX_LIMIT, decodeCursor } from '../../results/file-result-store.js';
import { RESULT_STATUSES, type ResultEnvelope, type ResultStore } from '../../results/result-store.js';
import { nextAgents } from '../../results/workflow-rules.js';
import type { AuthInfo } from '../../auth/token-service.js';
import type { AppDeps } from '../app-deps.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf, isAdmin, requireIssueScope, requireProjectScope } from '../permissions.js';

/** Topic of the `agent_completed` / `agent_failed` events announcing a stored result (spec §4). */
export const RESULT_EVENT_TOPIC = 'implementation';

const storeBody = z.strictObject({
  agent_id: agentIdSchema,
  agent_type: safeId,
  issue_id: safeId,
  project_id: safeId.optional(),
  result: resultPayloadSchema,
  timestamp: isoDateTime.optional(),
});

const listQuery = z.strictObject({
  issue_id: safeId.optional(),
  agent_type: safeId.optional(),
  project_id: safeId.optional(),
  status: z.enum(RESULT_STATUSES).optional(),
  since: isoDateTime.optional(),
  until: isoDateTime.optional(),
  latest: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
  cursor: z.string().max(256).refine((c) => decodeCursor(c) !== undefined, 'not a cursor returned by this API').optional(),
  /** `next_agents`: add each result's workflow suggestions (as answered by the POST that stored it). */
  include: z.literal('next_agents').optional(),
});

const idParams = z.object({ id: resultIdSchema });

const nextAgentSchema = z.object({ agent_type: z.string(), priority: z.enum(['high', 'medium', 'low']), reason: z.string() });
const storedSchema = z.object({
  id: z.string(), stored: z.literal(true), storage_path: z.string(), next_agents: z.array(nextAgentSchema),
  event_published: z.boolean(), event_id: z.string().nullable(), timestamp: z.string(),
});

function storeOf(deps: AppDeps): ResultStore {
  if (!deps.results) throw new StorageReadError('Result storage is not available');
  return deps.results;
}

/** A token reads results of its own project (admin: any) and, when it has one, of its own issue. */
function requireReadScope(auth: AuthInfo, envelope: ResultEnvelope): void {
  requireProjectScope(auth, envelope.project_id);
  requireIssueScope(auth, envelope.issue_id);
}

/**
 * `POST /api/results`, `GET /api/results`, `GET /api/results/:id` (spec §4) with the scoping
 * of spec §2: a non-admin token stores only as its own agent type and `sub`, only in its
 * project, only on its issue when it has one; reads are limited to its project and issue.
 */
export const resultRoutes: RouteModule = (routers, deps) => {
  const rules = deps.config.workflow_rules ?? undefined;

  defineRoute(routers, {
    method: 'post', path: '/api/results', tag: 'results', permission: 'write_results',
    summary: 'Store an agent\'s result durably; publishes agent_completed / agent_failed on topic implementation',
    body: storeBody,
    responses: {
      201: { description: 'Stored', schema: storedSchema },
      400: { description: 'REQ_001 with field paths' },
      403: { description: 'AUTH_003: other agent type, agent id, project or issue' },
      507: { description: 'STR_001: disk full' },
    },
  }, async (ctx, { body }) => {
    const auth = authOf(ctx);
    const projectId = body.project_id ?? auth.project_id;
    requireProjectScope(auth, projectId);
    requireIssueScope(auth, body.issue_id);
    if (!isAdmin(auth)) {
      if (body.agent_type !== auth.agent_type) {
        throw new ForbiddenError(`Token stores results only as agent type '${auth.agent_type}'`, { token_agent_type: auth.agent_type });
      }
      if (body.agent_id !== auth.sub) {
        throw new ForbiddenError(`Token stores results only as agent '${auth.sub}'`, { token_sub: auth.sub });
      }
    }
    const envelope = await storeOf(deps).store({
      agent_id: body.agent_id, agent_type: body.agent_type, issue_id: body.issue_id, project_id: projectId,
      result: body.result, ...(body.timestamp !== undefined ? { timestamp: body.timestamp } : {}),
    });

    // The result is durable at this point: a bus failure is reported, never turned into an error.
    let eventId: string | null = null;
    if (deps.bus) {
      try {
        const published = await deps.bus.publish({
          event_type: envelope.result.status === 'failed' ? 'agent_failed' : 'agent_completed',
          publisher: envelope.agent_id,
          topic: RESULT_EVENT_TOPIC,
          data: {
            issue_id: envelope.issue_id, agent_type: envelope.agent_type, agent_id: envelope.agent_id,
            status: envelope.result.status, result_id: envelope.id,
          },
        });
        eventId = published.event.event_id;
      } catch (err) {
        deps.logger.warn({ err, result_id: envelope.id }, 'result stored but its event was not published');
      }
    }
    ctx.status = 201;
    return {
      id: envelope.id,
      stored: true,
      storage_path: envelope.storage_path,
      next_agents: nextAgents(envelope.agent_type, envelope.result.status, rules),
      event_published: eventId !== null,
      event_id: eventId,
      timestamp: envelope.stored_at,
    };
  });

  defineRoute(routers, {
    method: 'get', path: '/api/results', tag: 'results', permission: 'read_results',
    summary: `List results, newest stored first; page with next_cursor (limit default ${DEFAULT_LIMIT}, max ${MAX_LIMIT})`,
    query: listQuery,
    responses: { 200: { description: '{results: [envelope…], next_cursor: string | null}' }, 403: { description: 'AUTH_003: other project or issue' } },
  }, async (ctx, { query }) => {
    const auth = authOf(ctx);
    const projectId = query.project_id ?? auth.project_id;
    requireProjectScope(auth, projectId);
    // A token limited to an issue sees that issue only, whether or not it asks for it.
    if (query.issue_id !== undefined) requireIssueScope(auth, query.issue_id);
    const issueId = query.issue_id ?? auth.issue_id;
    const page = await storeOf(deps).query({
      project_id: projectId,
      ...(issueId !== undefined ? { issue_id: issueId } : {}),
      ...(query.agent_type !== undefined ? { agent_type: query.agent_type } : {}),
      ...(query.status !== undefined ? { status: query.status } : {}),
      ...(query.since !== undefined ? { since: query.since } : {}),
      ...(query.until !== undefined ? { until: query.until } : {}),
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      latest: query.latest === 'true',
      limit: query.limit ?? DEFAULT_LIMIT,
    });
    if (query.include !== 'next_agents') return page;
    return { ...page, results: page.results.map((r) => ({ ...r, next_agents: nextAgents(r.agent_type, r.result.status, rules) })) };
  });

  defineRoute(routers, {
    method: 'get', path: '/api/results/:id', tag: 'results', permission: 'read_results',
    summary: 'One result envelope by id',
    params: idParams,
    responses: { 200: { description: 'The envelope' }, 404: { description: 'NOT_FOUND' }, 403: { description: 'AUTH_003: other project or issue' } },
  }, async (ctx, { params }) => {
    const auth = authOf(ctx);
    const envelope = await storeOf(deps).get(params.id);
    if (!envelope) throw new NotFoundError('No result with that id', { id: params.id });
    requireReadScope(auth, envelope);
    return envelope;
  });
};
