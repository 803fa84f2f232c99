import { refreshResponse, revokeBody, revokeResponse } from '../../contract/auth.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';

/** Token refresh and revocation (spec §2): doors onto the auth service. */
export const authRoutes: RouteModule = (routers) => {
  const { auth } = routers.services;

  defineRoute(
    routers,
    {
      method: 'post',
      path: '/api/auth/refresh',
      tag: 'auth',
      summary: 'Exchange a valid token for a fresh one (the old jti is revoked)',
      responses: { 200: { description: 'The new token', schema: refreshResponse } },
    },
    (ctx) => auth.refresh(authOf(ctx)),
  );

  defineRoute(
    routers,
    {
      method: 'post',
      path: '/api/auth/revoke',
      tag: 'auth',
      summary: 'Revoke a token by its jti (admin)',
      permission: 'admin',
      body: revokeBody,
      responses: { 200: { description: 'Revoked', schema: revokeResponse } },
    },
    (ctx, { body }) => auth.revoke(authOf(ctx), body.jti),
  );
};
