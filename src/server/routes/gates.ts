import { z } from 'zod';
import { createGateBody, gateIdParams, gateResponse, listGatesQuery, waitGateQuery } from '../../contract/gates.js';
import type { RouteModule } from './routers.js';
import type { AppDeps } from '../app-deps.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';
import { abortOnClose } from '../abort-on-close.js';
import { StorageReadError } from '../../errors/index.js';
import { COORDINATION_LIMITS, type GateService } from '../../coordination/index.js';

function gatesOf(deps: AppDeps): GateService {
  if (!deps.coordination) throw new StorageReadError('Gates are not available on this sidecar');
  return deps.coordination.gates;
}

/**
 * Gates (spec §8): create (`publish_events`), read, list and long-poll wait (`subscribe_events`).
 * A gate opens on stored results; the rules live in src/coordination.
 */
export const gateRoutes: RouteModule = (routers, deps) => {
  defineRoute(
    routers,
    {
      method: 'post',
      path: '/api/gates',
      tag: 'gates',
      permission: 'publish_events',
      body: createGateBody,
      summary: 'Create a gate that opens when a result of every expected agent type (with that status) is stored for the issue',
      responses: {
        201: { description: 'Created (state may already be open: earlier results count)', schema: gateResponse },
        200: { description: 'The same gate_id and definition again: the existing gate', schema: gateResponse },
        429: { description: `RATE_001: the issue already has ${COORDINATION_LIMITS.maxGatesPerIssue} waiting gates` },
      },
    },
    async (ctx, { body }) => {
      const { gate, created } = await gatesOf(deps).create(authOf(ctx), body);
      ctx.status = created ? 201 : 200;
      return gate;
    },
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/gates',
      tag: 'gates',
      permission: 'subscribe_events',
      query: listGatesQuery,
      summary: 'Gates, oldest first (an issue-scoped token sees its issue only)',
      responses: {
        200: {
          description: '{gates: [gate…], total, timestamp}',
          schema: z.object({ gates: z.array(gateResponse), total: z.number().int(), timestamp: z.string() }),
        },
      },
    },
    async (ctx, { query }) => {
      const gates = await gatesOf(deps).list(authOf(ctx), query);
      return { gates, total: gates.length, timestamp: new Date().toISOString() };
    },
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/gates/:id',
      tag: 'gates',
      permission: 'subscribe_events',
      params: gateIdParams,
      summary: 'One gate',
      responses: { 200: { description: 'The gate', schema: gateResponse }, 404: { description: 'NOT_FOUND' } },
    },
    (ctx, { params }) => gatesOf(deps).get(authOf(ctx), params.id),
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/gates/:id/wait',
      tag: 'gates',
      permission: 'subscribe_events',
      params: gateIdParams,
      query: waitGateQuery,
      summary: `Long-poll until the gate is open or expired (timeout ms, default ${COORDINATION_LIMITS.defaultGateWaitMs}, max ${COORDINATION_LIMITS.maxGateWaitMs}); at once when decided`,
      responses: {
        200: { description: 'The gate; timeout: true when it is still waiting', schema: gateResponse.extend({ timeout: z.literal(true).optional() }) },
        429: { description: 'RATE_001: too many concurrent waits' },
      },
    },
    (ctx, { params, query }) => gatesOf(deps).wait(authOf(ctx), params.id, query.timeout ?? COORDINATION_LIMITS.defaultGateWaitMs, abortOnClose(ctx)),
  );
};
