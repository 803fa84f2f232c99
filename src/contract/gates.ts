import { z } from 'zod';
import { safeId } from './ids.js';

/** Gates (spec §8): request and answer shapes, shared by the HTTP routes and the MCP tools. */

const STATUSES = ['success', 'failed', 'partial'] as const;

export const createGateBody = z.strictObject({
  gate_id: safeId.optional(),
  issue_id: safeId,
  expect: z
    .array(z.strictObject({ agent_type: safeId, status: z.enum(STATUSES).optional() }))
    .min(1)
    .max(119),
  timeout_seconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .optional(),
});
export const listGatesQuery = z.strictObject({ issue_id: safeId.optional(), state: z.enum(['waiting', 'open', 'expired']).optional() });
export const gateIdParams = z.object({ id: safeId });
export const waitGateQuery = z.strictObject({ timeout: z.coerce.number().int().min(0).optional() });

const expectation = z.object({ agent_type: z.string(), status: z.enum(STATUSES) });
export const gateResponse = z.object({
  gate_id: z.string(),
  issue_id: z.string(),
  state: z.enum(['waiting', 'open', 'expired']),
  expect: z.array(expectation),
  satisfied: z.array(expectation.extend({ result_id: z.string(), agent_id: z.string() })),
  pending: z.array(expectation),
  created_by: z.string(),
  created_at: z.string(),
  timeout_seconds: z.number().nullable(),
  expires_at: z.string().nullable(),
  opened_at: z.string().nullable(),
  expired_at: z.string().nullable(),
});
