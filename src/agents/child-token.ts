import type { ChildTokenRequest, SpawnCaller } from './types.js';

/**
 * The claims of a spawned agent's token: its own id as `sub`, its agent type, the sidecar's
 * project and the issue it works on, and the intersection of what the caller may do with what
 * the child's agent type gets by default (`admin` on the caller stands for every permission).
 * Its life ends no later than the caller's token: a child never holds more, or longer, than
 * whoever spawned it.
 *
 * @example childTokenRequest(caller, 'agt-1', 'python-specialist', 'proj', 'ISSUE-1', grants)
 */
export function childTokenRequest(
  caller: SpawnCaller,
  agentId: string,
  agentType: string,
  projectId: string,
  issueId: string,
  defaultGrants: readonly string[],
): ChildTokenRequest {
  const held = caller.permissions instanceof Set ? caller.permissions : new Set(caller.permissions as readonly string[]);
  const all = held.has('admin');
  const permissions = [...new Set(defaultGrants)].filter((p) => all || held.has(p));
  return { sub: agentId, agent_type: agentType, project_id: projectId, issue_id: issueId, permissions, not_after: caller.exp };
}
