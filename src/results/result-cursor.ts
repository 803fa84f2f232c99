import { RESULT_ID_PATTERN } from './result-id.js';

/** Result pages (spec §4): default and maximum `limit`, the same for every backend. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

const CURSOR_PREFIX = 'r1:';

/**
 * Opaque `next_cursor` of a result page: the id of the last result returned, so any backend
 * that orders by id can page with it.
 *
 * @example decodeCursor(encodeCursor('01JD8X3V0000000000000000AB')) // '01JD8X3V0000000000000000AB'
 */
export function encodeCursor(id: string): string {
  return Buffer.from(CURSOR_PREFIX + id, 'utf8').toString('base64url');
}

/** The result id inside a cursor, or undefined when it is not a cursor this API returned. */
export function decodeCursor(cursor: string): string | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX)) return undefined;
  const id = text.slice(CURSOR_PREFIX.length);
  return RESULT_ID_PATTERN.test(id) ? id : undefined;
}
