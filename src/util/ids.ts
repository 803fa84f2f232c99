import { z } from 'zod';

/**
 * Identifiers that end up in file-system paths (issue, agent type, project, agent id).
 * Checked on the *decoded* value: the router decodes %2F and %00 before we see them.
 */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID_PATTERN.test(value) && !value.includes('..');
}

/** Zod schema for a path-safe identifier; use it in every params/body schema. */
export const safeId = z
  .string()
  .regex(SAFE_ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$')
  .refine((v) => !v.includes('..'), 'must not contain ..');
