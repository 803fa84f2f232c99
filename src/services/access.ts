import { ForbiddenError } from '../errors/index.js';
import { hasPermission, type Permission } from '../auth/permissions.js';
import type { Caller } from './caller.js';

/** The permission and scope rules of spec §2, applied by every service to its `Caller`. */

export function isAdmin(caller: Caller): boolean {
  return caller.permissions.has('admin');
}

export function requirePermission(caller: Caller, permission: Permission): void {
  if (!hasPermission(caller.permissions, permission)) {
    throw new ForbiddenError(`Missing permission '${permission}'`, { required: permission });
  }
}

/** A token acts only in its own project, unless it is admin. */
export function requireProjectScope(caller: Caller, projectId: string): void {
  if (caller.project_id !== projectId && !isAdmin(caller)) {
    throw new ForbiddenError('Token is scoped to another project', { token_project_id: caller.project_id });
  }
}

/** A token with `issue_id` acts only on that issue. */
export function requireIssueScope(caller: Caller, issueId: string): void {
  if (caller.issue_id !== undefined && caller.issue_id !== issueId) {
    throw new ForbiddenError('Token is scoped to another issue', { token_issue_id: caller.issue_id });
  }
}

/** Without `widening` (e.g. `read_project_context`) a token acts only for its own agent type. */
export function requireAgentTypeScope(caller: Caller, agentType: string, widening: Permission): void {
  if (caller.agent_type !== agentType && !hasPermission(caller.permissions, widening)) {
    throw new ForbiddenError(`Token is scoped to agent type '${caller.agent_type}'`, { token_agent_type: caller.agent_type });
  }
}
