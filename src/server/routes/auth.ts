import { z } from 'zod';
import type { RouteModule } from './routers.js';
import { parseInput } from '../validate.js';
import { authOf, requirePermission } from '../permissions.js';

const revokeBody = z.strictObject({ jti: z.string().min(1).max(128) });

/** Token refresh and revocation (spec §2). */
export const authRoutes: RouteModule = (routers, deps) => {
  routers.protected.post('/api/auth/refresh', async (ctx) => {
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
    ctx.body = { token: minted.token, expires_at: minted.expires_at };
  });

  routers.protected.post('/api/auth/revoke', async (ctx) => {
    requirePermission(authOf(ctx), 'admin');
    const { jti } = parseInput(revokeBody, ctx.request.body, 'body');
    // The revoked token's exp is unknown here: keep the entry for the longest life a token can have.
    await deps.tokens.revoke(jti, Math.floor(Date.now() / 1000) + 30 * 86_400);
    ctx.body = { revoked: true, jti, timestamp: new Date().toISOString() };
  });
};
