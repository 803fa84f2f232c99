import { ForbiddenError, NotFoundError } from '../errors/index.js';
import type { WorkflowRule } from '../config/schema.js';
import type { EventBus } from '../events/event-bus.js';
import type { ResultEnvelope, ResultPage, ResultStore } from '../results/result-store.js';
import { resultEvent } from '../results/result-events.js';
import { nextAgents } from '../results/workflow-rules.js';
import { RESULTS_DEFAULT_LIMIT, type ListResultsQuery, type StoreResultBody, type StoreResultResponse } from '../contract/results.js';
import type { Caller } from './caller.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { isAdmin, requireIssueScope, requirePermission, requireProjectScope } from './access.js';

export { RESULT_EVENT_TOPIC } from '../results/result-events.js';

export interface ResultsServiceDeps {
  results: ResultStore;
  bus: EventBus;
  /** `next_agents` rules; the defaults of spec §4 when absent. */
  workflowRules?: readonly WorkflowRule[] | undefined;
  logger: ComponentLogger;
}

/**
 * The results use cases (spec §4) with the scoping of spec §2: a non-admin stores only as its own
 * agent type and `sub`, only in its project and (when issue-scoped) on its issue; reads are
 * limited to its project and issue. Input arrives validated by the contract schemas.
 *
 * @example
 * const answer = await results.store(caller, { agent_id: 'qa-1', agent_type: 'test-engineer', issue_id: 'ISSUE-1', result: { status: 'success' } });
 * answer.next_agents // [{ agent_type: 'security-auditor', priority: 'medium', reason: '…' }]
 */
export class ResultsService {
  constructor(private readonly deps: ResultsServiceDeps) {}

  /** Store → publish `agent_completed`/`agent_failed` on topic `implementation` → `next_agents`. */
  async store(caller: Caller, body: StoreResultBody): Promise<StoreResultResponse> {
    requirePermission(caller, 'write_results');
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
    const envelope = await this.repository().store({
      agent_id: body.agent_id,
      agent_type: body.agent_type,
      issue_id: body.issue_id,
      project_id: projectId,
      result: body.result,
      ...(body.timestamp !== undefined ? { timestamp: body.timestamp } : {}),
    });
    const eventId = await this.announce(envelope);
    return {
      id: envelope.id,
      stored: true,
      storage_path: envelope.storage_path,
      next_agents: nextAgents(envelope.agent_type, envelope.result.status, this.deps.workflowRules ?? undefined),
      event_published: eventId !== null,
      event_id: eventId,
      timestamp: envelope.stored_at,
    };
  }

  /** Newest stored first; an issue-scoped token sees its issue only, whether or not it asks for it. */
  async list(caller: Caller, query: ListResultsQuery): Promise<ResultPage> {
    requirePermission(caller, 'read_results');
    const projectId = query.project_id ?? caller.project_id;
    requireProjectScope(caller, projectId);
    if (query.issue_id !== undefined) requireIssueScope(caller, query.issue_id);
    const issueId = query.issue_id ?? caller.issue_id;
    const page = await this.repository().query({
      project_id: projectId,
      ...(issueId !== undefined ? { issue_id: issueId } : {}),
      ...(query.agent_type !== undefined ? { agent_type: query.agent_type } : {}),
      ...(query.status !== undefined ? { status: query.status } : {}),
      ...(query.since !== undefined ? { since: query.since } : {}),
      ...(query.until !== undefined ? { until: query.until } : {}),
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      latest: query.latest === 'true',
      limit: query.limit ?? RESULTS_DEFAULT_LIMIT,
    });
    if (query.include !== 'next_agents') return page;
    const rules = this.deps.workflowRules ?? undefined;
    return { ...page, results: page.results.map((r) => ({ ...r, next_agents: nextAgents(r.agent_type, r.result.status, rules) })) };
  }

  /** One envelope; 404 when unknown, 403 when it belongs to another project or issue. */
  async get(caller: Caller, id: string): Promise<ResultEnvelope> {
    requirePermission(caller, 'read_results');
    const envelope = await this.repository().get(id);
    if (!envelope) throw new NotFoundError('No result with that id', { id });
    requireProjectScope(caller, envelope.project_id);
    requireIssueScope(caller, envelope.issue_id);
    return envelope;
  }

  private repository(): ResultStore {
    return this.deps.results;
  }

  /** The result is durable before this runs: a bus failure is reported (null), never an error. */
  private async announce(envelope: ResultEnvelope): Promise<string | null> {
    try {
      const published = await this.deps.bus.publish(resultEvent(envelope));
      return published.event.event_id;
    } catch (err) {
      this.deps.logger.warn({ err, result_id: envelope.id }, 'result stored but its event was not published');
      return null;
    }
  }
}
