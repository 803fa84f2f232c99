import { UnauthorizedError } from '../errors/index.js';
import type { AuthInfo } from '../auth/token-service.js';
import type { AppContext } from './app-types.js';

/** The scope rules live with the services (src/services/access.ts); routes only find the caller. */
export { isAdmin, requireAgentTypeScope, requireIssueScope, requirePermission, requireProjectScope } from '../services/access.js';

/** The verified token of a protected route (authenticate ran before any handler): the service `Caller`. */
export function authOf(ctx: AppContext): AuthInfo {
  const auth = ctx.state.auth;
  if (!auth) throw new UnauthorizedError('Authentication required');
  return auth;
}
