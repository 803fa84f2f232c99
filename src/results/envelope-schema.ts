import { z } from 'zod';
import { isoDateTime, safeId } from '../contract/ids.js';
import { agentIdSchema, resultIdSchema, resultPayloadSchema } from '../contract/results.js';

export { agentIdSchema, resultIdSchema, resultPayloadSchema, isoDateTime };

/** Input of `ResultStore.store` (the route adds `project_id` from the token when absent). */
export const storeInputSchema = z.object({
  agent_id: agentIdSchema,
  agent_type: safeId,
  issue_id: safeId,
  project_id: safeId,
  result: resultPayloadSchema,
  timestamp: isoDateTime.optional(),
});

/**
 * A result file on disk: the envelope without `storage_path` (a file does not know where it
 * will be moved; the index adds the path it was found at).
 */
export const storedEnvelopeSchema = z.object({
  id: resultIdSchema,
  agent_id: agentIdSchema,
  agent_type: safeId,
  issue_id: safeId,
  project_id: safeId,
  result: resultPayloadSchema,
  timestamp: isoDateTime,
  stored_at: isoDateTime,
});

export type StoredEnvelope = z.output<typeof storedEnvelopeSchema>;

/** Zod issues as the `details.issues` of a 400 REQ_001 (`path` dotted, e.g. `result.status`). */
export function issuesOf(error: z.ZodError, prefix = ''): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: i.message,
  }));
}
