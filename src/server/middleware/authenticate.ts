import type { Next } from 'koa';
import { UnauthorizedError } from '../../errors/index.js';
import type { AuthInfo, TokenService } from '../../auth/token-service.js';
import type { AppContext } from '../app-types.js';

/** RFC 7235: the scheme is case-insensitive; RFC 6750 §2.1: one or more spaces, then the token. */
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/** How many `Authorization` headers the client sent (Node keeps only the first of several). */
function authorizationCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.length === 13 && rawHeaders[i]!.toLowerCase() === 'authorization') count++;
  return count;
}

/**
 * Verify the request's `Authorization: Bearer <JWT>` and return its claims; every failure is a
 * 401 with a `WWW-Authenticate: Bearer` challenge. Exactly one Authorization header: with two,
 * Node would silently use the first while a proxy or log might see the second.
 */
export async function verifyBearer(ctx: AppContext, tokens: TokenService): Promise<AuthInfo> {
  const header = ctx.get('Authorization');
  if (!header) throw new UnauthorizedError('Missing bearer token', {}, null);
  if (authorizationCount(ctx.req.rawHeaders) > 1) throw new UnauthorizedError('More than one Authorization header', {}, 'invalid_request');
  const match = BEARER.exec(header.trim());
  if (!match) throw new UnauthorizedError('Malformed Authorization header; expected "Bearer <JWT>"', {}, 'invalid_request');
  return tokens.verify(match[1]!);
}

/**
 * Stores the verified claims in `ctx.state.auth`. Part of the protected guard, so it runs exactly
 * for the routes that matched there: auth exemptions are decided by the matched route, never by
 * a raw path. Tokens are accepted only from the header (never query string or cookies, where
 * they leak into logs and referrers).
 */
export function authenticate(tokens: TokenService) {
  return async function authenticateMiddleware(ctx: AppContext, next: Next): Promise<void> {
    ctx.state.auth = await verifyBearer(ctx, tokens);
    await next();
  };
}
