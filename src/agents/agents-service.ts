import { z } from 'zod';
import type { AuthInfo } from '../auth/token-service.js';
import { SpawnFailedError } from '../errors/index.js';
import { requireIssueScope, requirePermission, requireProjectScope } from '../server/permissions.js';
import { safeId } from '../util/ids.js';
import type { AgentSupervisor, KillResult, SpawnResult } from './agent-supervisor.js';
import { AGENT_STATUSES, type AgentView } from './types.js';

/** `POST /api/agents/spawn` body (the `spawn_agent` tool's input). */
export const spawnAgentBody = z.strictObject({
  agent_type: safeId,
  issue_id: safeId,
  task: z.string().min(1).max(65_536),
  context_requirements: z.array(z.string().min(1).max(1_024)).max(100).optional(),
  // Keys are checked by the supervisor (dangerous and reserved names → 400 with every key listed).
  environment: z.record(z.string(), z.string()).optional(),
  priority: z.enum(['low', 'normal', 'high']).optional(),
});

/** `GET /api/agents` query. */
export const listAgentsQuery = z.object({
  status: z.enum(AGENT_STATUSES as [string, ...string[]]).optional(),
  type: safeId.optional(),
  issue_id: safeId.optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

export const agentIdParams = z.object({ id: safeId });

/** `GET /api/agents/:id/logs` query. */
export const agentLogsQuery = z.object({
  stream: z.enum(['stdout', 'stderr']).default('stdout'),
  tail: z.coerce.number().int().min(1).max(10_000).default(100),
  offset: z.coerce.number().int().min(0).optional(),
});

export const killAgentQuery = z.object({ force: z.enum(['true', 'false', '1', '0']).optional() });

/**
 * The agent use cases (spec §4) for the HTTP routes and the MCP tools alike: spawn
 * (`spawn_agents`, in the token's project and issue), list, status, logs and kill
 * (`manage_agents`; an agent may read its own status with its own token).
 */
export class AgentsService {
  constructor(private readonly supervisor: () => AgentSupervisor | undefined, private readonly projectId: string) {}

  private agents(): AgentSupervisor {
    const supervisor = this.supervisor();
    if (!supervisor) throw new SpawnFailedError('Agent spawning is not available on this sidecar');
    return supervisor;
  }

  /**
   * A token with `manage_agents` in this project (and on this agent's issue when issue-scoped), or,
   * when `ownOk`, the agent's own token (`sub` = agent id).
   */
  private requireAccess(caller: AuthInfo, agentId: string, ownOk: boolean): void {
    if (ownOk && caller.sub === agentId && caller.project_id === this.projectId) return;
    requirePermission(caller, 'manage_agents');
    requireProjectScope(caller, this.projectId);
    if (caller.issue_id !== undefined) requireIssueScope(caller, this.agents().get(agentId).issue_id);
  }

  spawn(caller: AuthInfo, body: z.output<typeof spawnAgentBody>): Promise<SpawnResult> {
    requireProjectScope(caller, this.projectId);
    requireIssueScope(caller, body.issue_id);
    return this.agents().spawn(body, {
      sub: caller.sub,
      agent_type: caller.agent_type,
      project_id: caller.project_id,
      permissions: caller.permissions,
      ...(caller.issue_id !== undefined ? { issue_id: caller.issue_id } : {}),
      exp: caller.exp,
    });
  }

  /** Newest first; an issue-scoped token sees only its issue's agents. */
  list(caller: AuthInfo, query: z.output<typeof listAgentsQuery>): { agents: AgentView[]; total: number; timestamp: string } {
    requireProjectScope(caller, this.projectId);
    if (query.issue_id !== undefined) requireIssueScope(caller, query.issue_id);
    const issueId = query.issue_id ?? caller.issue_id;
    const all = this.agents().list({
      ...(query.status ? { status: query.status as (typeof AGENT_STATUSES)[number] } : {}),
      ...(query.type ? { agent_type: query.type } : {}),
      ...(issueId ? { issue_id: issueId } : {}),
    });
    return { agents: all.slice(0, query.limit), total: all.length, timestamp: new Date().toISOString() };
  }

  status(caller: AuthInfo, agentId: string): AgentView & { timestamp: string } {
    this.requireAccess(caller, agentId, true);
    return { ...this.agents().get(agentId), timestamp: new Date().toISOString() };
  }

  async logs(caller: AuthInfo, agentId: string, query: z.output<typeof agentLogsQuery>): Promise<Record<string, unknown>> {
    this.requireAccess(caller, agentId, false);
    const chunk = await this.agents().readLogs(agentId, query.stream, query.offset !== undefined ? { offset: query.offset } : { tail: query.tail });
    return { ...chunk, timestamp: new Date().toISOString() };
  }

  kill(caller: AuthInfo, agentId: string, force: boolean): Promise<KillResult> | KillResult {
    this.requireAccess(caller, agentId, false);
    return this.agents().kill(agentId, { force });
  }
}
