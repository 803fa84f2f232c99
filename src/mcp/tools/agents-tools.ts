import { z } from 'zod';
import { agentIdParams, agentLogsQuery, killAgentQuery, listAgentsQuery, spawnBody } from '../../contract/agents.js';
import type { KillResult, SpawnResult } from '../../agents/agent-supervisor.js';
import type { AgentView } from '../../agents/types.js';
import { defineTool } from '../tool-definition.js';

const agentId = z.strictObject({ agent_id: agentIdParams.shape.id });

/** `spawn_agent`, `list_agents`, `agent_status`, `agent_logs`, `kill_agent` mirror the agent routes of spec §4. */
export const agentsTools = [
  defineTool({
    name: 'spawn_agent',
    title: 'Spawn an agent',
    description: [
      'Starts another agent of a configured agent_type (e.g. "test-engineer") on an issue with a task text; it gets its',
      'own scoped token, the context and MCP access. Queued when the sidecar is at capacity. Returns agent_id, status',
      '("running" or "queued") and process_id; follow it with agent_status or wait_for_events("agent_completed").',
      'issue_id defaults to your token.',
    ].join(' '),
    permission: 'spawn_agents',
    input: spawnBody,
    claimDefaults: { issue_id: 'issue_id' },
    readOnly: false,
    run: ({ caller, services }, body) => services.agents.spawn(caller, body),
    summary: (out: SpawnResult, input) => `Spawned ${input.agent_type} as ${out.agent_id} (${out.status}${out.process_id ? `, pid ${out.process_id}` : ''}).`,
  }),
  defineTool({
    name: 'list_agents',
    title: 'List agents',
    description: 'Lists the agents the sidecar spawned, newest first, with status, type, issue, pid, start and exit; filter by status, type, issue_id.',
    permission: 'manage_agents',
    input: listAgentsQuery,
    queryInput: true,
    readOnly: true,
    run: ({ caller, services }, query) => services.agents.list(caller, query),
    summary: (out: { agents: AgentView[]; total: number }) =>
      `${out.agents.length} of ${out.total} agent(s): ` +
      (out.agents
        .slice(0, 10)
        .map((a) => `${a.agent_id} ${a.status}`)
        .join(', ') || 'none') +
      '.',
  }),
  defineTool({
    name: 'agent_status',
    title: "Get an agent's status",
    description: "Returns one agent's state (status, exit code, timestamps, issue, type). agent_id defaults to yourself; other agents need manage_agents.",
    permission: null,
    input: agentId,
    claimDefaults: { agent_id: 'sub' },
    readOnly: true,
    run: ({ caller, services }, { agent_id }) => services.agents.status(caller, agent_id),
    summary: (out: AgentView) => `${out.agent_id} (${out.agent_type} on ${out.issue_id}): ${out.status}.`,
  }),
  defineTool({
    name: 'agent_logs',
    title: "Read an agent's output",
    description:
      'Returns an agent\'s captured output: the last tail lines of stream "stdout" or "stderr", or complete lines from byte offset (pass next_offset back to follow).',
    permission: 'manage_agents',
    input: agentId.extend(agentLogsQuery.shape),
    queryInput: true,
    readOnly: true,
    run: ({ caller, services }, { agent_id, ...query }) => services.agents.logs(caller, agent_id, query),
    summary: (out: Record<string, unknown>) =>
      `${Array.isArray(out.lines) ? out.lines.length : 0} line(s) of ${String(out.stream)}; agent ${String(out.status)}.`,
  }),
  defineTool({
    name: 'kill_agent',
    title: 'Stop an agent',
    description: 'Stops an agent: SIGTERM to its process group, SIGKILL after a grace period (force="true": at once). Returns the signal sent.',
    permission: 'manage_agents',
    input: agentId.extend(killAgentQuery.shape),
    queryInput: true,
    readOnly: false,
    destructive: true,
    run: ({ caller, services }, { agent_id, ...query }) => services.agents.kill(caller, agent_id, query),
    summary: (out: KillResult) => `${out.agent_id}: ${out.killed ? `sent ${String(out.signal)}` : 'not running'} (${out.status}).`,
  }),
];
