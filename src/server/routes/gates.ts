import { z } from 'zod';
import type { RouteModule } from './routers.js';
import type { AppDeps } from '../app-deps.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';
import { abortOnClose } from '../abort-on-close.js';
import { safeId } from '../../util/ids.js';
import { StorageReadError } from '../../errors/index.js';
import { COORDINATION_LIMITS, type GateService } from '../../coordination/index.js';

const STATUSES = ['success', 'failed', 'partial'] as const;

const createBody = z.strictObject({
  gate_id: safeId.optional(),
  issue_id: safeId,
  expect: z.array(z.strictObject({ agent_type: safeId, status: z.enum(STATUSES).optional() })).min(1).max(119),
  timeout_seconds: z.number().int().min(1).max(7 * 86_400).optional(),
});
const listQuery = z.strictObject({ issue_id: safeId.optional(), state: z.enum(['waiting', 'open', 'expired']).optional() });
const idParams = z.object({ id: safeId });
const waitQuery = z.strictObject({ timeout: z.coerce.number().int().min(0).optional() });

const expectation = z.object({ agent_type: z.string(), status: z.enum(STATUSES) });
const gateSchema = z.object({
  gate_id: z.string(), issue_id: z.string(), state: z.enum(['waiting', 'open', 'expired']), expect: z.array(expectation),
  satisfied: z.array(expectation.extend({ result_id: z.string(), agent_id: z.string() })), pending: z.array(expectation),
  created_by: z.string(), created_at: z.string(), timeout_seconds: z.number().nullable(), expires_at: z.string().nullable(),
  opened_at: z.string().nullable(), expired_at: z.string().nullable(),
});

function gatesOf(deps: AppDeps): GateService {
  if (!deps.coordination) throw new StorageReadError('Gates are not available on this sidecar');
  return deps.coordination.gates;
}

/**
 * Gates (spec §8): create (`publish_events`), read, list and long-poll wait (`subscribe_events`).
 * A gate opens on stored results; the rules live in src/coordination.
 */
export const gateRoutes: RouteModule = (routers, deps) => {
  defineRoute(routers, {
    method: 'post', path: '/api/gates', tag: 'gates', permission: 'publish_events', body: createBody,
    summary: 'Create a gate that opens when a result of every expected agent type (with that status) is stored for the issue',
    responses: {
      201: { description: 'Created (state may already be open: earlier results count)', schema: gateSchema },
      200: { description: 'The same gate_id and definition again: the existing gate', schema: gateSchema },
      429: { description: `RATE_001: the issue already has ${COORDINATION_LIMITS.maxGatesPerIssue} waiting gates` },
    },
  }, async (ctx, { body }) => {
    const { gate, created } = await gatesOf(deps).create(authOf(ctx), body);
    ctx.status = created ? 201 : 200;
    return gate;
  });

  defineRoute(routers, {
    method: 'get', path: '/api/gates', tag: 'gates', permission: 'subscribe_events', query: listQuery,
    summary: 'Gates, oldest first (an issue-scoped token sees its issue only)',
    responses: { 200: { description: '{gates: [gate…], total, timestamp}' } },
  }, (ctx, { query }) => {
    const gates = gatesOf(deps).list(authOf(ctx), query);
    return { gates, total: gates.length, timestamp: new Date().toISOString() };
  });

  defineRoute(routers, {
    method: 'get', path: '/api/gates/:id', tag: 'gates', permission: 'subscribe_events', params: idParams,
    summary: 'One gate', responses: { 200: { description: 'The gate', schema: gateSchema }, 404: { description: 'NOT_FOUND' } },
  }, (ctx, { params }) => gatesOf(deps).get(authOf(ctx), params.id));

  defineRoute(routers, {
    method: 'get', path: '/api/gates/:id/wait', tag: 'gates', permission: 'subscribe_events', params: idParams, query: waitQuery,
    summary: `Long-poll until the gate is open or expired (timeout ms, default ${COORDINATION_LIMITS.defaultGateWaitMs}, max ${COORDINATION_LIMITS.maxGateWaitMs}); at once when decided`,
    responses: {
      200: { description: 'The gate; timeout: true when it is still waiting', schema: gateSchema.extend({ timeout: z.literal(true).optional() }) },
      429: { description: 'RATE_001: too many concurrent waits' },
    },
  }, (ctx, { params, query }) =>
    gatesOf(deps).wait(authOf(ctx), params.id, query.timeout ?? COORDINATION_LIMITS.defaultGateWaitMs, abortOnClose(ctx)));
};
