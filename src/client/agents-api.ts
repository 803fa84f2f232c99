import type { SidecarClient } from './sidecar-client.js';
import type { AgentPriority, AgentStatus, AgentView } from '../agents/types.js';

/**
 * Typed calls for the agents endpoints (spec §4 Agents), on top of `SidecarClient`.
 *
 * @example
 * const { agent_id } = await spawnAgent(client, { agent_type: 'python-specialist', issue_id: 'ISSUE-1', task: 'fix it' })
 * const logs = await agentLogs(client, agent_id, { stream: 'stderr', tail: 50 })
 */
export interface SpawnAgentBody {
  agent_type: string;
  issue_id: string;
  task: string;
  context_requirements?: string[];
  environment?: Record<string, string>;
  priority?: AgentPriority;
}

export interface SpawnAgentResponse {
  agent_id: string;
  spawned: true;
  status: 'running' | 'queued';
  process_id: number | null;
  context_injected: boolean;
  jwt_token: string;
  webhook_url: string;
  timestamp: string;
  queue_position?: number;
}

export type AgentStatusResponse = AgentView & { timestamp: string };

export interface AgentListResponse {
  agents: AgentView[];
  total: number;
  timestamp: string;
}

export interface AgentLogsResponse {
  agent_id: string;
  stream: 'stdout' | 'stderr';
  status: AgentStatus;
  lines: string[];
  offset: number;
  next_offset: number;
  size_bytes: number;
  truncated: boolean;
  /** No more output will come (the agent has ended). */
  final: boolean;
  capped: boolean;
  timestamp: string;
}

export interface KillAgentResponse {
  agent_id: string;
  status: AgentStatus;
  killed: boolean;
  signal: 'SIGTERM' | 'SIGKILL' | null;
  timestamp: string;
}

const enc = encodeURIComponent;

export function spawnAgent(client: SidecarClient, body: SpawnAgentBody): Promise<SpawnAgentResponse> {
  return client.request('POST', '/api/agents/spawn', { body });
}

export function listAgents(client: SidecarClient, query: { status?: string; type?: string; issue_id?: string; limit?: number } = {}): Promise<AgentListResponse> {
  return client.request('GET', '/api/agents', { query });
}

export function agentStatus(client: SidecarClient, id: string): Promise<AgentStatusResponse> {
  return client.request('GET', `/api/agents/${enc(id)}/status`);
}

export function killAgent(client: SidecarClient, id: string, force = false): Promise<KillAgentResponse> {
  return client.request('DELETE', `/api/agents/${enc(id)}`, { query: force ? { force: 'true' } : {} });
}

export function agentLogs(client: SidecarClient, id: string, query: { stream?: 'stdout' | 'stderr'; tail?: number; offset?: number } = {}): Promise<AgentLogsResponse> {
  return client.request('GET', `/api/agents/${enc(id)}/logs`, { query });
}
