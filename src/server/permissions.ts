import { ForbiddenError, UnauthorizedError } from '../errors/index.js';
import { hasPermission, type Permission } from '../auth/permissions.js';
import type { AuthInfo } from '../auth/token-service.js';
import type { AppContext } from './app-types.js';

/** The verified token of a protected route (authenticate ran before any handler). */
export function authOf(ctx: AppContext): AuthInfo {
  const auth = ctx.state.auth;
  if (!auth) throw new UnauthorizedError('Authentication required');
  return auth;
}

export function isAdmin(auth: AuthInfo): boolean {
  return auth.permissions.has('admin');
}

export function requirePermission(auth: AuthInfo, permission: Permission): void {
  if (!hasPermission(auth.permissions, permission)) {
    throw new ForbiddenError(`Missing permission '${permission}'`, { required: permission });
  }
}

/** A token acts only in its own project, unless it is admin. */
export function requireProjectScope(auth: AuthInfo, projectId: string): void {
  if (auth.project_id !== projectId && !isAdmin(auth)) {
    throw new ForbiddenError('Token is scoped to another project', { token_project_id: auth.project_id });
  }
}

/** A token with `issue_id` acts only on that issue. */
export function requireIssueScope(auth: AuthInfo, issueId: string): void {
  if (auth.issue_id !== undefined && auth.issue_id !== issueId) {
    throw new ForbiddenError('Token is scoped to another issue', { token_issue_id: auth.issue_id });
  }
}

/** Without `read_project_context` a token reads context only for its own agent type. */
export function requireAgentTypeScope(auth: AuthInfo, agentType: string, widening: Permission): void {
  if (auth.agent_type !== agentType && !hasPermission(auth.permissions, widening)) {
    throw new ForbiddenError(`Token is scoped to agent type '${auth.agent_type}'`, { token_agent_type: auth.agent_type });
  }
}
