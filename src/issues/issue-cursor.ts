import { isSafeId } from '../contract/ids.js';

const PREFIX = 'i1:';

/**
 * Opaque `next_cursor` of an issue page: the id of the last issue returned. Pages are in issue id
 * order (UTF-16 code units, `COLLATE "C"` in SQL), so any backend continues after it, and an
 * issue created or deleted between pages never makes another one repeat or disappear.
 *
 * @example decodeIssueCursor(encodeIssueCursor('ISSUE-7')) // 'ISSUE-7'
 */
export function encodeIssueCursor(issueId: string): string {
  return Buffer.from(PREFIX + issueId, 'utf8').toString('base64url');
}

/** The issue id inside a cursor, or undefined when it is not a cursor this API returned. */
export function decodeIssueCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return undefined;
  const id = text.slice(PREFIX.length);
  return isSafeId(id) ? id : undefined;
}
