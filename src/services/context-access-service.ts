import { ContextGenerationError, ForbiddenError, NotFoundError } from '../errors/index.js';
import { hasPermission } from '../auth/permissions.js';
import type { ContextResponse, ContextService } from '../context/index.js';
import type { CacheClearedResponse, ContextParams, ContextQuery } from '../contract/context.js';
import type { Caller } from './caller.js';
import { isAdmin, requireAgentTypeScope, requireIssueScope, requirePermission, requireProjectScope } from './access.js';

export interface ContextAccessServiceDeps {
  context: ContextService | undefined;
  /** The project this sidecar serves: its context is the only one it answers. */
  projectId: string;
}

/** A context answer and how fresh it is guaranteed to be. */
export interface ContextAnswer {
  body: ContextResponse;
  /** `watch` (watcher events keep it fresh) or `ttl=<ms>ms` (bounded by the fallback TTL). */
  freshness: string;
}

/**
 * The context use cases (spec §4) with the scoping of spec §2: reading needs `read_context` for
 * the token's own agent type or `read_project_context` for any type; clearing the cache needs
 * `read_project_context`; the token's project and issue scope apply.
 *
 * @example
 * const { body } = await contextAccess.get(caller, { issue_id: 'ISSUE-1', agent_type: 'python-specialist' }, { max_bytes: 262_144 });
 */
export class ContextAccessService {
  constructor(private readonly deps: ContextAccessServiceDeps) {}

  async get(caller: Caller, params: ContextParams, query: ContextQuery): Promise<ContextAnswer> {
    if (!hasPermission(caller.permissions, 'read_context') && !hasPermission(caller.permissions, 'read_project_context')) {
      throw new ForbiddenError("Missing permission 'read_context'", { required: 'read_context' });
    }
    requireProjectScope(caller, this.deps.projectId);
    requireIssueScope(caller, params.issue_id);
    requireAgentTypeScope(caller, params.agent_type, 'read_project_context');
    const engine = this.engine();
    const body = await engine.getContext({ issue_id: params.issue_id, agent_type: params.agent_type, ...query });
    const report = engine.watcherReport();
    return { body, freshness: report.phase === 'ok' ? 'watch' : `ttl=${report.ttl_ms}ms` };
  }

  /** Drop the cached contexts of one issue; 404 when nothing was cached for it. */
  clearIssue(caller: Caller, issueId: string): CacheClearedResponse {
    requirePermission(caller, 'read_project_context');
    requireProjectScope(caller, this.deps.projectId);
    requireIssueScope(caller, issueId);
    const cleared = this.engine().clearIssue(issueId);
    if (cleared.entries_removed === 0) throw new NotFoundError('No cached context for this issue', { issue_id: issueId });
    return { cleared: true, ...cleared, timestamp: new Date().toISOString() };
  }

  /** Drop every cached context; 404 when nothing was cached. */
  clearAll(caller: Caller): CacheClearedResponse {
    requirePermission(caller, 'read_project_context');
    requireProjectScope(caller, this.deps.projectId);
    // A token limited to one issue must not clear every other issue's contexts.
    if (caller.issue_id !== undefined && !isAdmin(caller)) throw new ForbiddenError('Token is scoped to one issue', { token_issue_id: caller.issue_id });
    const cleared = this.engine().clearAll();
    if (cleared.entries_removed === 0) throw new NotFoundError('Nothing was cached');
    return { cleared: true, ...cleared, timestamp: new Date().toISOString() };
  }

  private engine(): ContextService {
    if (!this.deps.context) throw new ContextGenerationError('The context engine is not running');
    return this.deps.context;
  }
}
