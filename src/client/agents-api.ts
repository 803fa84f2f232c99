import type { SidecarClient } from './sidecar-client.js';
import type { WireQuery } from './wire-query.js';
import type {
  AgentListResponse,
  AgentLogsQuery,
  AgentLogsResponse,
  AgentStatusResponse,
  KillAgentResponse,
  ListAgentsQuery,
  SpawnAgentRequest,
  SpawnAgentResponse,
} from '../contract/agents.js';

/** The wire types of the agents endpoints: inferred from the contract schemas. */
export type { AgentListResponse, AgentLogsResponse, AgentStatusResponse, KillAgentResponse, SpawnAgentResponse } from '../contract/agents.js';
/** Body of `POST /api/agents/spawn` as a client sends it. */
export type SpawnAgentBody = SpawnAgentRequest;

const enc = encodeURIComponent;

/**
 * Typed calls for the agents endpoints (spec §4 Agents), on top of `SidecarClient`.
 *
 * @example
 * const { agent_id } = await spawnAgent(client, { agent_type: 'python-specialist', issue_id: 'ISSUE-1', task: 'fix it' })
 * const logs = await agentLogs(client, agent_id, { stream: 'stderr', tail: 50 })
 */
export function spawnAgent(client: SidecarClient, body: SpawnAgentBody): Promise<SpawnAgentResponse> {
  return client.request('POST', '/api/agents/spawn', { body });
}

export function listAgents(client: SidecarClient, query: WireQuery<ListAgentsQuery> = {}): Promise<AgentListResponse> {
  return client.request('GET', '/api/agents', { query });
}

export function agentStatus(client: SidecarClient, id: string): Promise<AgentStatusResponse> {
  return client.request('GET', `/api/agents/${enc(id)}/status`);
}

export function killAgent(client: SidecarClient, id: string, force = false): Promise<KillAgentResponse> {
  return client.request('DELETE', `/api/agents/${enc(id)}`, { query: force ? { force: 'true' } : {} });
}

export function agentLogs(client: SidecarClient, id: string, query: WireQuery<AgentLogsQuery> = {}): Promise<AgentLogsResponse> {
  return client.request('GET', `/api/agents/${enc(id)}/logs`, { query });
}
