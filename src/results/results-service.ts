import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuthInfo } from '../auth/token-service.js';
import type { WorkflowRule } from '../config/schema.js';
import { ForbiddenError, NotFoundError, StorageReadError } from '../errors/index.js';
import type { EventBus } from '../events/event-bus.js';
import { isAdmin, requireIssueScope, requireProjectScope } from '../server/permissions.js';
import { safeId } from '../util/ids.js';
import { agentIdSchema, isoDateTime, resultIdSchema, resultPayloadSchema } from './envelope-schema.js';
import { DEFAULT_LIMIT, MAX_LIMIT, decodeCursor } from './file-result-store.js';
import { RESULT_STATUSES, type ResultEnvelope, type ResultPage, type ResultStore } from './result-store.js';
import { nextAgents, type NextAgent } from './workflow-rules.js';

/** Topic of the `agent_completed` / `agent_failed` events announcing a stored result (spec §4). */
export const RESULT_EVENT_TOPIC = 'implementation';

/** `POST /api/results` body (also the `store_result` MCP tool's input). */
export const storeResultBody = z.strictObject({
  agent_id: agentIdSchema,
  agent_type: safeId,
  issue_id: safeId,
  project_id: safeId.optional(),
  result: resultPayloadSchema,
  timestamp: isoDateTime.optional(),
});

/** `GET /api/results` query (also the `list_results` MCP tool's input). */
export const listResultsQuery = z.strictObject({
  issue_id: safeId.optional(),
  agent_type: safeId.optional(),
  project_id: safeId.optional(),
  status: z.enum(RESULT_STATUSES).optional(),
  since: isoDateTime.optional(),
  until: isoDateTime.optional(),
  latest: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
  cursor: z.string().max(256).refine((c) => decodeCursor(c) !== undefined, 'not a cursor returned by this API').optional(),
});

export const resultIdParams = z.object({ id: resultIdSchema });

export interface StoredResultAnswer {
  id: string;
  stored: true;
  storage_path: string;
  next_agents: NextAgent[];
  event_published: boolean;
  event_id: string | null;
  timestamp: string;
}

export interface ResultsServiceDeps {
  results?: ResultStore | undefined;
  bus?: EventBus | undefined;
  logger: Logger;
  rules?: readonly WorkflowRule[] | undefined;
}

/**
 * The results use cases with the scoping of spec §2, for the HTTP routes and the MCP tools
 * alike: a non-admin token stores only as its own agent type and `sub`, only in its project,
 * only on its issue when it has one; reads are limited to its project and issue.
 */
export class ResultsService {
  constructor(private readonly deps: ResultsServiceDeps) {}

  private store(): ResultStore {
    if (!this.deps.results) throw new StorageReadError('Result storage is not available');
    return this.deps.results;
  }

  /** Store → publish `agent_completed`/`agent_failed` → `next_agents` (the 201 body). */
  async storeResult(caller: AuthInfo, body: z.output<typeof storeResultBody>): Promise<StoredResultAnswer> {
    const projectId = body.project_id ?? caller.project_id;
    requireProjectScope(caller, projectId);
    requireIssueScope(caller, body.issue_id);
    if (!isAdmin(caller)) {
      if (body.agent_type !== caller.agent_type) {
        throw new ForbiddenError(`Token stores results only as agent type '${caller.agent_type}'`, { token_agent_type: caller.agent_type });
      }
      if (body.agent_id !== caller.sub) {
        throw new ForbiddenError(`Token stores results only as agent '${caller.sub}'`, { token_sub: caller.sub });
      }
    }
    const envelope = await this.store().store({
      agent_id: body.agent_id, agent_type: body.agent_type, issue_id: body.issue_id, project_id: projectId,
      result: body.result, ...(body.timestamp !== undefined ? { timestamp: body.timestamp } : {}),
    });

    // The result is durable at this point: a bus failure is reported, never turned into an error.
    let eventId: string | null = null;
    if (this.deps.bus) {
      try {
        const published = await this.deps.bus.publish({
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
        this.deps.logger.warn({ err, result_id: envelope.id }, 'result stored but its event was not published');
      }
    }
    return {
      id: envelope.id,
      stored: true,
      storage_path: envelope.storage_path,
      next_agents: nextAgents(envelope.agent_type, envelope.result.status, this.deps.rules ?? undefined),
      event_published: eventId !== null,
      event_id: eventId,
      timestamp: envelope.stored_at,
    };
  }

  /** A page of results, newest stored first; an issue-scoped token sees its issue only. */
  listResults(caller: AuthInfo, query: z.output<typeof listResultsQuery>): Promise<ResultPage> {
    const projectId = query.project_id ?? caller.project_id;
    requireProjectScope(caller, projectId);
    if (query.issue_id !== undefined) requireIssueScope(caller, query.issue_id);
    const issueId = query.issue_id ?? caller.issue_id;
    return this.store().query({
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
  }

  /** One envelope of the token's project (and issue, when it has one). */
  async getResult(caller: AuthInfo, id: string): Promise<ResultEnvelope> {
    const envelope = await this.store().get(id);
    if (!envelope) throw new NotFoundError('No result with that id', { id });
    requireProjectScope(caller, envelope.project_id);
    requireIssueScope(caller, envelope.issue_id);
    return envelope;
  }
}
