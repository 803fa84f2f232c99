import type { Next } from 'koa';
import { UnauthorizedError } from '../../errors/index.js';
import type { TokenService } from '../../auth/token-service.js';
import type { AppContext } from '../app-types.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/**
 * Verifies `Authorization: Bearer <JWT>` and stores the claims in `ctx.state.auth`. Registered on
 * the protected router, so it runs exactly for the routes that matched there: auth exemptions
 * are decided by the matched route, never by a raw path. Tokens are accepted only from the
 * header (never query string or cookies, where they leak into logs and referrers).
 */
export function authenticate(tokens: TokenService) {
  return async function authenticateMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const header = ctx.get('Authorization');
    if (!header) throw new UnauthorizedError('Missing bearer token');
    const match = BEARER.exec(header.trim());
    if (!match) throw new UnauthorizedError('Malformed Authorization header; expected "Bearer <JWT>"');
    ctx.state.auth = await tokens.verify(match[1]!);
    await next();
  };
}
