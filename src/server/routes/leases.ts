import { z } from 'zod';
import { acquireLeaseBody, leaseIdParams, leaseResponse, listLeasesQuery, renewLeaseBody } from '../../contract/leases.js';
import type { RouteModule } from './routers.js';
import type { AppDeps } from '../app-deps.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';
import { abortOnClose } from '../abort-on-close.js';
import { NotFoundError, StorageReadError } from '../../errors/index.js';
import type { LeaseService } from '../../coordination/index.js';

export function leasesOf(deps: AppDeps): LeaseService {
  if (!deps.coordination) throw new StorageReadError('Leases are not available on this sidecar');
  return deps.coordination.leases;
}

/**
 * Leases (spec §8): `POST /api/leases`, `POST /api/leases/:id/renew`, `DELETE /api/leases/:id`,
 * `GET /api/leases`, `GET /api/leases/:id`. Permission `write_results`; rules live in
 * src/coordination (shared with the MCP tools), the routes only parse, call and answer.
 */
export const leaseRoutes: RouteModule = (routers, deps) => {
  defineRoute(
    routers,
    {
      method: 'post',
      path: '/api/leases',
      tag: 'leases',
      permission: 'write_results',
      body: acquireLeaseBody,
      summary: 'Acquire an exclusive, expiring, fenced lease on paths (with wait_ms: queue first come, first served)',
      responses: {
        201: { description: 'Granted', schema: leaseResponse },
        400: { description: 'REQ_001: a path is absolute, has .., NUL, or leads out of the root' },
        409: { description: 'LSE_001: another holder leases a path, an ancestor or a descendant (details.conflicts)' },
        429: { description: 'RATE_001: too many leases or waiting requests' },
      },
    },
    async (ctx, { body }) => {
      const auth = authOf(ctx);
      const signal = abortOnClose(ctx);
      const leases = leasesOf(deps);
      const lease = await leases.acquire(auth, body, { signal });
      // Granted from the queue after the client hung up: nobody learned the token, so give it back.
      if (signal.aborted) {
        await leases.release(auth, lease.lease_id).catch(() => undefined);
        return undefined;
      }
      ctx.status = 201;
      return lease;
    },
  );

  defineRoute(
    routers,
    {
      method: 'post',
      path: '/api/leases/:id/renew',
      tag: 'leases',
      permission: 'write_results',
      audit: 'data',
      params: leaseIdParams,
      body: renewLeaseBody,
      summary: 'Extend a lease to ttl_seconds from now (default 300): holder, manage_agents or admin',
      responses: {
        200: { description: 'The lease', schema: leaseResponse },
        403: { description: 'AUTH_003: not the holder' },
        404: { description: 'Released or expired' },
      },
    },
    (ctx, { params, body }) => leasesOf(deps).renew(authOf(ctx), params.id, body.ttl_seconds ?? 300),
  );

  defineRoute(
    routers,
    {
      method: 'delete',
      path: '/api/leases/:id',
      tag: 'leases',
      permission: 'write_results',
      params: leaseIdParams,
      summary: 'Release a lease: holder, manage_agents or admin',
      responses: {
        200: { description: 'The released lease and released_at', schema: leaseResponse.extend({ released_at: z.string() }) },
        403: { description: 'AUTH_003: not the holder' },
        404: { description: 'Released or expired' },
      },
    },
    (ctx, { params }) => leasesOf(deps).release(authOf(ctx), params.id),
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/leases',
      tag: 'leases',
      permission: 'read_context',
      query: listLeasesQuery,
      summary: 'Live leases, oldest grant first; path= gives those on the path, its ancestors and descendants',
      responses: {
        200: {
          description: '{leases: [lease…], total, timestamp}',
          schema: z.object({ leases: z.array(leaseResponse), total: z.number().int(), timestamp: z.string() }),
        },
      },
    },
    async (ctx, { query }) => {
      authOf(ctx);
      const leases = await leasesOf(deps).list(query);
      return { leases, total: leases.length, timestamp: new Date().toISOString() };
    },
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/leases/:id',
      tag: 'leases',
      permission: 'read_context',
      params: leaseIdParams,
      summary: 'One live lease',
      responses: { 200: { description: 'The lease', schema: leaseResponse }, 404: { description: 'Released or expired' } },
    },
    async (ctx, { params }) => {
      authOf(ctx);
      const lease = await leasesOf(deps).get(params.id);
      if (!lease) throw new NotFoundError('No live lease with that id (released or expired)', { lease_id: params.id });
      return lease;
    },
  );
};
