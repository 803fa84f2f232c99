import { z } from 'zod';
import type { RouteModule } from './routers.js';
import type { AppDeps } from '../app-deps.js';
import type { AuthInfo } from '../../auth/token-service.js';
import { safeId } from '../../util/ids.js';
import { defineRoute } from '../route-spec.js';
import { authOf, requireIssueScope, requirePermission, requireProjectScope } from '../permissions.js';
import { AGENT_STATUSES } from '../../agents/types.js';

const spawnBody = z.strictObject({
  agent_type: safeId,
  issue_id: safeId,
  task: z.string().min(1).max(65_536),
  context_requirements: z.array(z.string().min(1).max(1_024)).max(100).optional(),
  // Keys are checked by the supervisor (dangerous and reserved names → 400 with every key listed).
  environment: z.record(z.string(), z.string()).optional(),
  priority: z.enum(['low', 'normal', 'high']).optional(),
});

const listQuery = z.object({
  status: z.enum(AGENT_STATUSES as [string, ...string[]]).optional(),
  type: safeId.optional(),
  issue_id: safeId.optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

const idParams = z.object({ id: safeId });

const logsQuery = z.object({
  stream: z.enum(['stdout', 'stderr']).default('stdout'),
  tail: z.coerce.number().int().min(1).max(10_000).default(100),
  offset: z.coerce.number().int().min(0).optional(),
});

const killQuery = z.object({ force: z.enum(['true', 'false', '1', '0']).optional() });


/**
 * A token with `manage_agents` in this project (and on this agent's issue when issue-scoped), or,
 * when `ownOk`, the agent's own token (`sub` = agent id).
 */
function requireAgentAccess(auth: AuthInfo, deps: AppDeps, agentId: string, ownOk: boolean): void {
  if (ownOk && auth.sub === agentId && auth.project_id === deps.config.project_id) return;
  requirePermission(auth, 'manage_agents');
  requireProjectScope(auth, deps.config.project_id);
  if (auth.issue_id !== undefined) {
    const agent = deps.agents.get(agentId);
    requireIssueScope(auth, agent.issue_id);
  }
}

/**
 * Agents (spec §4): spawn (`spawn_agents`), list, status, logs and kill (`manage_agents`; an
 * agent may read its own status with its own token).
 */
export const agentsRoutes: RouteModule = (routers, deps) => {
  defineRoute(routers, {
    method: 'post', path: '/api/agents/spawn', tag: 'agents', permission: 'spawn_agents', body: spawnBody,
    summary: 'Spawn an agent of a configured type for an issue (queued beyond max_concurrent_agents)',
    responses: {
      201: { description: '{agent_id, spawned, status, process_id, context_injected, jwt_token, webhook_url, timestamp}' },
      400: { description: 'REQ_001 (invalid body or refused environment key) or AGT_002 (no command for the type)' },
      429: { description: 'AGT_003: capacity reached and the queue is full' },
      500: { description: 'AGT_001: the command could not be started' },
    },
  }, async (ctx, { body }) => {
    const auth = authOf(ctx);
    requireProjectScope(auth, deps.config.project_id);
    requireIssueScope(auth, body.issue_id);
    const result = await deps.agents.spawn(body, {
      sub: auth.sub,
      agent_type: auth.agent_type,
      project_id: auth.project_id,
      permissions: auth.permissions,
      ...(auth.issue_id !== undefined ? { issue_id: auth.issue_id } : {}),
      exp: auth.exp,
    });
    ctx.status = 201;
    return result;
  });

  defineRoute(routers, {
    method: 'get', path: '/api/agents', tag: 'agents', permission: 'manage_agents', query: listQuery,
    summary: 'List agents, newest first', responses: { 200: { description: '{agents: [agent…], total, timestamp}' } },
  }, (ctx, { query: q }) => {
    const auth = authOf(ctx);
    requireProjectScope(auth, deps.config.project_id);
    if (q.issue_id !== undefined) requireIssueScope(auth, q.issue_id);
    // An issue-scoped token sees only its issue's agents.
    const issueId = q.issue_id ?? auth.issue_id;
    const all = deps.agents.list({
      ...(q.status ? { status: q.status as (typeof AGENT_STATUSES)[number] } : {}),
      ...(q.type ? { agent_type: q.type } : {}),
      ...(issueId ? { issue_id: issueId } : {}),
    });
    return { agents: all.slice(0, q.limit), total: all.length, timestamp: new Date().toISOString() };
  });

  defineRoute(routers, {
    method: 'get', path: '/api/agents/:id/status', tag: 'agents', params: idParams,
    summary: "One agent's state (manage_agents, or the agent's own token)",
    responses: { 200: { description: 'The agent' }, 404: { description: 'No such agent' } },
  }, (ctx, { params }) => {
    requireAgentAccess(authOf(ctx), deps, params.id, true);
    return { ...deps.agents.get(params.id), timestamp: new Date().toISOString() };
  });

  defineRoute(routers, {
    method: 'get', path: '/api/agents/:id/logs', tag: 'agents', permission: 'manage_agents', params: idParams, query: logsQuery,
    summary: "An agent's output: the last `tail` lines, or complete lines from byte `offset` (to follow)",
    responses: { 200: { description: '{agent_id, stream, lines[], offset, next_offset, size_bytes, truncated, final, capped, status}' } },
  }, async (ctx, { params, query: q }) => {
    requireAgentAccess(authOf(ctx), deps, params.id, false);
    const chunk = await deps.agents.readLogs(params.id, q.stream, q.offset !== undefined ? { offset: q.offset } : { tail: q.tail });
    return { ...chunk, timestamp: new Date().toISOString() };
  });

  defineRoute(routers, {
    method: 'delete', path: '/api/agents/:id', tag: 'agents', permission: 'manage_agents', params: idParams, query: killQuery,
    summary: 'Stop an agent: SIGTERM to its process group, SIGKILL after the grace (force=true: at once)',
    responses: { 200: { description: '{agent_id, status, killed, signal, timestamp}' } },
  }, (ctx, { params, query: q }) => {
    requireAgentAccess(authOf(ctx), deps, params.id, false);
    return deps.agents.kill(params.id, { force: q.force === 'true' || q.force === '1' });
  });
};
