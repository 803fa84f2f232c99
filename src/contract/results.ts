import { z } from 'zod';
import { isoDateTime, safeId } from './ids.js';
import { RESULT_STATUSES } from '../results/result-store.js';
import { RESULT_ID_PATTERN } from '../results/result-id.js';
import { DEFAULT_LIMIT, MAX_LIMIT, decodeCursor } from '../results/result-cursor.js';

/** Results (spec §4 `POST /api/results`, `GET /api/results`, `GET /api/results/:id`). */

export { DEFAULT_LIMIT as RESULTS_DEFAULT_LIMIT, MAX_LIMIT as RESULTS_MAX_LIMIT };

/**
 * Agent ids are token subjects, not path components, so they get a looser rule than `safeId`:
 * 1–256 printable characters.
 */
export const agentIdSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

/** `result` of a store request: a status plus any free-form fields. */
export const resultPayloadSchema = z.looseObject({
  status: z.enum(RESULT_STATUSES),
});

export const resultIdSchema = z.string().regex(RESULT_ID_PATTERN, 'must be a result id (26-character ULID)');

export const storeResultBody = z.strictObject({
  agent_id: agentIdSchema,
  agent_type: safeId,
  issue_id: safeId,
  project_id: safeId.optional(),
  result: resultPayloadSchema,
  timestamp: isoDateTime.optional(),
});

export const listResultsQuery = z.strictObject({
  issue_id: safeId.optional(),
  agent_type: safeId.optional(),
  project_id: safeId.optional(),
  status: z.enum(RESULT_STATUSES).optional(),
  since: isoDateTime.optional(),
  until: isoDateTime.optional(),
  latest: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
  cursor: z
    .string()
    .max(256)
    .refine((c) => decodeCursor(c) !== undefined, 'not a cursor returned by this API')
    .optional(),
  /** `next_agents`: add each result's workflow suggestions (those its POST answered) to the page. */
  include: z.literal('next_agents').optional(),
});

export const resultIdParams = z.object({ id: resultIdSchema });

export const nextAgentSchema = z.object({ agent_type: z.string(), priority: z.enum(['high', 'medium', 'low']), reason: z.string() });

export const storeResultResponse = z.object({
  id: z.string(),
  stored: z.literal(true),
  storage_path: z.string(),
  next_agents: z.array(nextAgentSchema),
  event_published: z.boolean(),
  event_id: z.string().nullable(),
  timestamp: z.string(),
});

/** One stored result, exactly as `GET /api/results/:id` answers it. */
export const resultEnvelopeSchema = z.object({
  id: z.string(),
  agent_id: z.string(),
  agent_type: z.string(),
  issue_id: z.string(),
  project_id: z.string(),
  result: resultPayloadSchema,
  timestamp: z.string(),
  stored_at: z.string(),
  storage_path: z.string(),
});

/** A listed envelope; `next_agents` only with `include=next_agents`. */
const listedEnvelopeSchema = resultEnvelopeSchema.extend({ next_agents: z.array(nextAgentSchema).optional() });

export const resultPageSchema = z.object({ results: z.array(listedEnvelopeSchema), next_cursor: z.string().nullable() });

export type StoreResultBody = z.output<typeof storeResultBody>;
export type StoreResultRequest = z.input<typeof storeResultBody>;
export type StoreResultResponse = z.output<typeof storeResultResponse>;
export type ListResultsQuery = z.output<typeof listResultsQuery>;
export type ResultEnvelopeBody = z.output<typeof resultEnvelopeSchema>;
export type ResultPageBody = z.output<typeof resultPageSchema>;
