import { z } from 'zod';
import { safeId } from '../util/ids.js';
import { RESULT_ID_PATTERN } from './result-id.js';
import { RESULT_STATUSES } from './result-store.js';

/**
 * Agent ids are token subjects, not path components, so they get a looser rule than `safeId`:
 * 1–256 printable characters.
 */
export const agentIdSchema = z.string().min(1).max(256).regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

/** `result` of a store request: a status plus any free-form fields. */
export const resultPayloadSchema = z.looseObject({
  status: z.enum(RESULT_STATUSES),
});

/** ISO 8601 date-time with `Z` or an offset (`2026-11-23T10:00:00.000Z`). */
export const isoDateTime = z.iso.datetime({ offset: true });

export const resultIdSchema = z.string().regex(RESULT_ID_PATTERN, 'must be a result id (26-character ULID)');

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
