import { readLogFrom, readLogTail, type LogChunk } from './log-reader.js';
import { agentView } from './agent-views.js';
import { FINAL_STATUSES, type AgentStatus, type AgentView } from './types.js';
import type { SupervisorState } from './supervisor-state.js';

export interface AgentListFilter {
  status?: AgentStatus;
  agent_type?: string;
  issue_id?: string;
}

// Read-only views of the registry and the logs (nothing here changes an agent).

/** Agents, newest first. */
export function listAgents(s: SupervisorState, filter: AgentListFilter): AgentView[] {
  const out: AgentView[] = [];
  for (const rec of s.records.values()) {
    if (filter.status && rec.status !== filter.status) continue;
    if (filter.agent_type && rec.agent_type !== filter.agent_type) continue;
    if (filter.issue_id && rec.issue_id !== filter.issue_id) continue;
    out.push(agentView(rec));
  }
  return out.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.agent_id.localeCompare(a.agent_id)));
}

/**
 * Read an agent's log: the last `tail` lines, or complete lines from byte `offset` on (to
 * follow a running agent). `final` in the answer says no more output will come.
 */
export async function readAgentLogs(
  s: SupervisorState,
  id: string,
  stream: 'stdout' | 'stderr',
  options: { tail?: number; offset?: number },
): Promise<LogChunk & { agent_id: string; stream: string; status: AgentStatus; final: boolean; capped: boolean }> {
  const rec = s.mustGet(id);
  const final = FINAL_STATUSES.has(rec.status);
  const file = s.store.fileOf(id, `${stream}.log`);
  const chunk = options.offset !== undefined ? await readLogFrom(file, options.offset, final) : await readLogTail(file, options.tail ?? 100);
  const capped = chunk.size_bytes >= s.config.agent_log_max_bytes || rec.log_dropped_bytes[stream] > 0;
  return { agent_id: id, stream, status: rec.status, final, capped, ...chunk };
}
