import { RESULT_ID_PATTERN } from './result-id.js';

/** Page size of `GET /api/results` when none is asked for, and the largest allowed (spec §4). */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

const CURSOR_PREFIX = 'r1:';

/**
 * The opaque `next_cursor` of newest-first paging: the last result id of the page, so the next
 * page starts strictly below it and stays stable while results are added or expire. The same
 * codec for every repository (ids are ULIDs whatever stores them).
 *
 * @example decodeCursor(encodeCursor('01JD0000000000000000000000')) // '01JD0000000000000000000000'
 */
export function encodeCursor(id: string): string {
  return Buffer.from(CURSOR_PREFIX + id, 'utf8').toString('base64url');
}

/** The result id inside a cursor, or undefined when the text is not a cursor this API returned. */
export function decodeCursor(cursor: string): string | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX)) return undefined;
  const id = text.slice(CURSOR_PREFIX.length);
  return RESULT_ID_PATTERN.test(id) ? id : undefined;
}
