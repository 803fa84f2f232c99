import { z } from 'zod';
import type { RouteModule } from './routers.js';
import type { AppDeps } from '../app-deps.js';
import type { AppContext } from '../app-types.js';
import type { AuthInfo } from '../../auth/token-service.js';
import { SpawnFailedError } from '../../errors/index.js';
import { safeId } from '../../util/ids.js';
import { parseInput } from '../validate.js';
import { authOf, requireIssueScope, requirePermission, requireProjectScope } from '../permissions.js';
import { AGENT_STATUSES } from '../../agents/types.js';
import type { AgentSupervisor } from '../../agents/agent-supervisor.js';

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

function supervisorOf(deps: AppDeps): AgentSupervisor {
  if (!deps.agents) throw new SpawnFailedError('Agent spawning is not available on this sidecar');
  return deps.agents;
}

/**
 * A token with `manage_agents` in this project (and on this agent's issue when issue-scoped), or,
 * when `ownOk`, the agent's own token (`sub` = agent id).
 */
function requireAgentAccess(auth: AuthInfo, deps: AppDeps, agentId: string, ownOk: boolean): void {
  if (ownOk && auth.sub === agentId && auth.project_id === deps.config.project_id) return;
  requirePermission(auth, 'manage_agents');
  requireProjectScope(auth, deps.config.project_id);
  if (auth.issue_id !== undefined) {
    const agent = supervisorOf(deps).get(agentId);
    requireIssueScope(auth, agent.issue_id);
  }
}

function agentIdOf(ctx: AppContext & { params?: Record<string, string> }): string {
  return parseInput(idParams, ctx.params ?? {}, 'params').id;
}

/**
 * Agents (spec §4): spawn (`spawn_agents`), list, status, logs and kill (`manage_agents`; an
 * agent may read its own status with its own token).
 */
export const agentsRoutes: RouteModule = (routers, deps) => {
  routers.protected.post('/api/agents/spawn', async (ctx) => {
    const auth = authOf(ctx);
    requirePermission(auth, 'spawn_agents');
    requireProjectScope(auth, deps.config.project_id);
    const body = parseInput(spawnBody, ctx.request.body, 'body');
    requireIssueScope(auth, body.issue_id);
    const result = await supervisorOf(deps).spawn(body, {
      sub: auth.sub,
      agent_type: auth.agent_type,
      project_id: auth.project_id,
      permissions: auth.permissions,
      ...(auth.issue_id !== undefined ? { issue_id: auth.issue_id } : {}),
      exp: auth.exp,
    });
    ctx.status = 201;
    ctx.body = result;
  });

  routers.protected.get('/api/agents', (ctx) => {
    const auth = authOf(ctx);
    requirePermission(auth, 'manage_agents');
    requireProjectScope(auth, deps.config.project_id);
    const q = parseInput(listQuery, ctx.query, 'query');
    if (q.issue_id !== undefined) requireIssueScope(auth, q.issue_id);
    // An issue-scoped token sees only its issue's agents.
    const issueId = q.issue_id ?? auth.issue_id;
    const all = supervisorOf(deps).list({
      ...(q.status ? { status: q.status as (typeof AGENT_STATUSES)[number] } : {}),
      ...(q.type ? { agent_type: q.type } : {}),
      ...(issueId ? { issue_id: issueId } : {}),
    });
    ctx.body = { agents: all.slice(0, q.limit), total: all.length, timestamp: new Date().toISOString() };
  });

  routers.protected.get('/api/agents/:id/status', (ctx) => {
    const auth = authOf(ctx);
    const id = agentIdOf(ctx);
    requireAgentAccess(auth, deps, id, true);
    ctx.body = { ...supervisorOf(deps).get(id), timestamp: new Date().toISOString() };
  });

  routers.protected.get('/api/agents/:id/logs', async (ctx) => {
    const auth = authOf(ctx);
    const id = agentIdOf(ctx);
    requireAgentAccess(auth, deps, id, false);
    const q = parseInput(logsQuery, ctx.query, 'query');
    const chunk = await supervisorOf(deps).readLogs(id, q.stream, q.offset !== undefined ? { offset: q.offset } : { tail: q.tail });
    ctx.body = { ...chunk, timestamp: new Date().toISOString() };
  });

  routers.protected.delete('/api/agents/:id', (ctx) => {
    const auth = authOf(ctx);
    const id = agentIdOf(ctx);
    requireAgentAccess(auth, deps, id, false);
    const q = parseInput(killQuery, ctx.query, 'query');
    const force = q.force === 'true' || q.force === '1';
    ctx.body = supervisorOf(deps).kill(id, { force });
  });
};
