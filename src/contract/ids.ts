import { z } from 'zod';

/**
 * Identifiers that end up in file-system paths (issue, agent type, project, agent id): the one
 * definition every schema, service and CLI flag check uses. Checked on the *decoded* value: the
 * router decodes %2F and %00 before we see them.
 */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const SAFE_ID_MESSAGE = `must match ${SAFE_ID_PATTERN.source}`;

export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID_PATTERN.test(value) && !value.includes('..');
}

/**
 * Zod schema for a path-safe identifier; use it in every params/body schema.
 *
 * @example z.object({ issue_id: safeId }).parse({ issue_id: 'ISSUE-1' })
 */
export const safeId = z
  .string()
  .regex(SAFE_ID_PATTERN, SAFE_ID_MESSAGE)
  .refine((v) => !v.includes('..'), 'must not contain ..');

/**
 * Event types and topics: path-safe (they travel in URL path segments and query strings),
 * starting with a letter or digit; `:` is allowed. `*` is not a name: it means "every type" in waits.
 */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const EVENT_NAME_MESSAGE = `must match ${EVENT_NAME_PATTERN.source}`;

export function isEventName(value: unknown): value is string {
  return typeof value === 'string' && EVENT_NAME_PATTERN.test(value);
}

export const eventName = z.string().regex(EVENT_NAME_PATTERN, EVENT_NAME_MESSAGE);

/** Printable text of 1..max characters (no control characters): publishers, correlation ids. */
export const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must be printable');

/** ISO 8601 date-time with `Z` or an offset (`2026-11-23T10:00:00.000Z`). */
export const isoDateTime = z.iso.datetime({ offset: true });
