import {
  agentIdParams,
  agentListResponse,
  agentLogsQuery,
  agentLogsResponse,
  agentStatusResponse,
  killAgentQuery,
  killAgentResponse,
  listAgentsQuery,
  spawnBody,
  spawnResponse,
} from '../../contract/agents.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';

/**
 * Agents (spec §4): spawn (`spawn_agents`), list, status, logs and kill (`manage_agents`; an
 * agent may read its own status with its own token). Doors onto the agents service.
 */
export const agentsRoutes: RouteModule = (routers) => {
  const { agents } = routers.services;

  defineRoute(
    routers,
    {
      method: 'post',
      path: '/api/agents/spawn',
      tag: 'agents',
      permission: 'spawn_agents',
      body: spawnBody,
      summary: 'Spawn an agent of a configured type for an issue (queued beyond max_concurrent_agents)',
      responses: {
        201: { description: "Spawned or queued, with the agent's own token", schema: spawnResponse },
        400: { description: 'REQ_001 (invalid body or refused environment key) or AGT_002 (no command for the type)' },
        429: { description: 'AGT_003: capacity reached and the queue is full' },
        500: { description: 'AGT_001: the command could not be started' },
      },
    },
    async (ctx, { body }) => {
      const answer = await agents.spawn(authOf(ctx), body);
      ctx.status = 201;
      return answer;
    },
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/agents',
      tag: 'agents',
      permission: 'manage_agents',
      query: listAgentsQuery,
      summary: 'List agents, newest first',
      responses: { 200: { description: 'Agents and how many matched', schema: agentListResponse } },
    },
    (ctx, { query }) => agents.list(authOf(ctx), query),
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/agents/:id/status',
      tag: 'agents',
      params: agentIdParams,
      summary: "One agent's state (manage_agents, or the agent's own token)",
      responses: { 200: { description: 'The agent', schema: agentStatusResponse }, 404: { description: 'No such agent' } },
    },
    (ctx, { params }) => agents.status(authOf(ctx), params.id),
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/agents/:id/logs',
      tag: 'agents',
      permission: 'manage_agents',
      params: agentIdParams,
      query: agentLogsQuery,
      summary: "An agent's output: the last `tail` lines, or complete lines from byte `offset` (to follow)",
      responses: { 200: { description: 'Log lines and the offsets to follow from', schema: agentLogsResponse } },
    },
    (ctx, { params, query }) => agents.logs(authOf(ctx), params.id, query),
  );

  defineRoute(
    routers,
    {
      method: 'delete',
      path: '/api/agents/:id',
      tag: 'agents',
      permission: 'manage_agents',
      params: agentIdParams,
      query: killAgentQuery,
      summary: 'Stop an agent: SIGTERM to its process group, SIGKILL after the grace (force=true: at once)',
      responses: { 200: { description: 'What was done', schema: killAgentResponse } },
    },
    (ctx, { params, query }) => agents.kill(authOf(ctx), params.id, query),
  );
};
