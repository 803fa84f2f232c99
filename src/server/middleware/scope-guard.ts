import type { Next } from 'koa';
import type { AppContext } from '../app-types.js';
import { authOf, requireIssueScope, requireProjectScope } from '../permissions.js';

/**
 * Part of the protected guard, right after authentication, so no protected route can forget it
 * (issue 15): a token minted for another project is refused (403 AUTH_003) on every route of
 * this sidecar unless it is `admin`, and a token limited to one issue is refused on any route
 * whose `:issue_id` names another issue. Runs before the rate limit and the body parser, so a
 * foreign token costs neither a bucket nor a parse. Routes keep their finer checks (agent type,
 * publisher, issue ids inside bodies and queries).
 */
export function scopeGuard(projectId: string) {
  return function scopeGuardMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const auth = authOf(ctx);
    requireProjectScope(auth, projectId);
    const issueId = (ctx as AppContext & { params?: Record<string, string | undefined> }).params?.issue_id;
    if (typeof issueId === 'string') requireIssueScope(auth, issueId);
    return next();
  };
}
