import { z } from 'zod';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';

const revokeBody = z.strictObject({ jti: z.string().min(1).max(128) });

/** Token refresh and revocation (spec §2). */
export const authRoutes: RouteModule = (routers, deps) => {
  defineRoute(routers, {
    method: 'post', path: '/api/auth/refresh', tag: 'auth', summary: 'Exchange a valid token for a fresh one (the old jti is revoked)',
    responses: { 200: { description: '{token, expires_at}' } },
  }, async (ctx) => {
    const auth = authOf(ctx);
    // Same claims and the same lifetime as the token being replaced, with a new jti.
    const minted = await deps.tokens.mint({
      sub: auth.sub,
      agent_type: auth.agent_type,
      project_id: auth.project_id,
      permissions: [...auth.permissions],
      ...(auth.issue_id !== undefined ? { issue_id: auth.issue_id } : {}),
      ttl_seconds: Math.max(60, auth.exp - auth.iat),
    });
    await deps.tokens.revoke(auth.jti, auth.exp);
    return { token: minted.token, expires_at: minted.expires_at };
  });

  defineRoute(routers, {
    method: 'post', path: '/api/auth/revoke', tag: 'auth', summary: 'Revoke a token by its jti (admin)', permission: 'admin',
    body: revokeBody, responses: { 200: { description: '{revoked: true, jti}' } },
  }, async (_ctx, { body: { jti } }) => {
    // The revoked token's exp is unknown here: keep the entry for the longest life a token can have.
    await deps.tokens.revoke(jti, Math.floor(Date.now() / 1000) + deps.tokens.maxTtlSeconds);
    return { revoked: true, jti, timestamp: new Date().toISOString() };
  });
};
