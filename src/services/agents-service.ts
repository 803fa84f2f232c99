import type { AgentSupervisor, KillResult } from '../agents/agent-supervisor.js';
import type {
  AgentListResponse,
  AgentLogsQuery,
  AgentLogsResponse,
  AgentStatusResponse,
  KillAgentQuery,
  ListAgentsQuery,
  SpawnAgentBody,
  SpawnAgentResponse,
} from '../contract/agents.js';
import type { AgentRegistry } from '../agents/agent-registry.js';
import { resolveAgentCommand } from '../agents/agent-commands.js';
import { checkRequestEnvironment } from '../agents/child-env.js';
import type { Config } from '../config/schema.js';
import type { Caller } from './caller.js';
import type { IssuesService } from './issues-service.js';
import { requireIssueScope, requirePermission, requireProjectScope } from './access.js';

export interface AgentsServiceDeps {
  /** Spawns on this node. */
  agents: AgentSupervisor;
  /** Lists, reads and kills on whichever node runs the agent. */
  registry: AgentRegistry;
  /** The project this sidecar serves: agents belong to it. */
  projectId: string;
  /** A spawn's task creates its issue when the issue does not exist (spec §6). */
  issues: IssuesService;
  /** The configured agent commands: a spawn that will be refused creates no issue. */
  agentCommands: Config['agents'];
}

/**
 * The agent use cases (spec §4 Agents): spawn (`spawn_agents`), list, status, logs and kill
 * (`manage_agents`; an agent may read its own status with its own token). The project and issue
 * scope of spec §2 apply to every call.
 *
 * @example
 * const { agent_id } = await agents.spawn(caller, { agent_type: 'python-specialist', issue_id: 'ISSUE-1', task: 'fix it' });
 */
export class AgentsService {
  constructor(private readonly deps: AgentsServiceDeps) {}

  async spawn(caller: Caller, body: SpawnAgentBody): Promise<SpawnAgentResponse> {
    requirePermission(caller, 'spawn_agents');
    requireProjectScope(caller, this.deps.projectId);
    requireIssueScope(caller, body.issue_id);
    // The supervisor's own request checks first (400 AGT_002 / REQ_001), so a refused spawn
    // leaves no issue behind; then the issue, so the agent's CONTEXT_FILE carries `context.issue`.
    resolveAgentCommand(this.deps.agentCommands, body.agent_type);
    checkRequestEnvironment(body.environment);
    await this.deps.issues.createFromTask(caller, body.issue_id, body.task);
    const spawned = await this.supervisor().spawn(body, {
      sub: caller.sub,
      agent_type: caller.agent_type,
      project_id: caller.project_id,
      permissions: caller.permissions,
      ...(caller.issue_id !== undefined ? { issue_id: caller.issue_id } : {}),
      exp: caller.exp,
    });
    // Listed on every node once the spawn is answered.
    await this.deps.registry.settled?.();
    return spawned;
  }

  /** Newest first, every node's agents; an issue-scoped token sees only its issue's agents. */
  async list(caller: Caller, query: ListAgentsQuery): Promise<AgentListResponse> {
    requirePermission(caller, 'manage_agents');
    requireProjectScope(caller, this.deps.projectId);
    if (query.issue_id !== undefined) requireIssueScope(caller, query.issue_id);
    const issueId = query.issue_id ?? caller.issue_id;
    const all = await this.deps.registry.list({
      ...(query.status ? { status: query.status } : {}),
      ...(query.type ? { agent_type: query.type } : {}),
      ...(issueId ? { issue_id: issueId } : {}),
    });
    return { agents: all.slice(0, query.limit), total: all.length, timestamp: new Date().toISOString() };
  }

  async status(caller: Caller, agentId: string): Promise<AgentStatusResponse> {
    if (!this.isOwnToken(caller, agentId)) await this.requireAccess(caller, agentId);
    return { ...(await this.deps.registry.get(agentId)), timestamp: new Date().toISOString() };
  }

  /** The last `tail` lines, or complete lines from byte `offset` (to follow). */
  async logs(caller: Caller, agentId: string, query: AgentLogsQuery): Promise<AgentLogsResponse> {
    await this.requireAccess(caller, agentId);
    const chunk = await this.deps.registry.readLogs(agentId, {
      stream: query.stream,
      ...(query.offset !== undefined ? { offset: query.offset } : { tail: query.tail }),
    });
    return { ...chunk, stream: query.stream, timestamp: new Date().toISOString() };
  }

  async kill(caller: Caller, agentId: string, query: KillAgentQuery): Promise<KillResult> {
    await this.requireAccess(caller, agentId);
    return this.deps.registry.kill(agentId, { force: query.force === 'true' || query.force === '1' });
  }

  private isOwnToken(caller: Caller, agentId: string): boolean {
    return caller.sub === agentId && caller.project_id === this.deps.projectId;
  }

  /** A token with `manage_agents` in this project, and on this agent's issue when issue-scoped. */
  private async requireAccess(caller: Caller, agentId: string): Promise<void> {
    requirePermission(caller, 'manage_agents');
    requireProjectScope(caller, this.deps.projectId);
    // Only an issue-scoped caller needs the agent's issue (on another node: one more round trip).
    if (caller.issue_id !== undefined) requireIssueScope(caller, (await this.deps.registry.get(agentId)).issue_id);
  }

  private supervisor(): AgentSupervisor {
    return this.deps.agents;
  }
}
