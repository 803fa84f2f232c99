import { z } from 'zod';
import { isoDateTime, safeId } from './ids.js';
import { decodeIssueCursor } from '../issues/issue-cursor.js';

/** Issues (spec §6): `PUT/GET/DELETE /api/issues/:issue_id`, `GET /api/issues`. */

/** Texts are measured in UTF-8 bytes: a text of 64 KiB or more is refused, never cut. */
export const MAX_ISSUE_TEXT_BYTES = 64 * 1024 - 1;
export const MAX_TITLE_CHARS = 300;
export const MAX_LABELS = 32;
export const MAX_LABEL_CHARS = 64;
export const MAX_FILES = 200;
export const MAX_FILE_CHARS = 1024;
export const ISSUES_DEFAULT_LIMIT = 50;
export const ISSUES_MAX_LIMIT = 200;

const CONTROL = /[\u0000-\u001f\u007f]/;
const noNul = (s: string): boolean => !s.includes('\0');
const text = z
  .string()
  .refine(noNul, 'must not contain a NUL character')
  .refine(
    (s) => Buffer.byteLength(s) <= MAX_ISSUE_TEXT_BYTES,
    `must be shorter than 64 KiB (at most ${MAX_ISSUE_TEXT_BYTES} UTF-8 bytes); it is refused, not cut`,
  );

export const issueTitleSchema = z
  .string()
  .min(1)
  .max(MAX_TITLE_CHARS)
  .refine((s) => !CONTROL.test(s), 'must be one line without control characters')
  .refine((s) => s.trim().length > 0, 'must not be blank');

/** A label: one printable word or phrase, no commas (the CLI and filters separate labels with them). */
export const issueLabelSchema = z
  .string()
  .min(1)
  .max(MAX_LABEL_CHARS)
  .refine((s) => !CONTROL.test(s) && !s.includes(','), 'must be printable and without commas')
  .refine((s) => s.trim() === s, 'must not start or end with whitespace');

/**
 * A path or glob the issue names, relative to the project root: never absolute, never through
 * `..`, so nothing outside the root can be named (the context engine matches, never opens, them).
 */
export const issueFileSchema = z
  .string()
  .min(1)
  .max(MAX_FILE_CHARS)
  .refine((s) => !CONTROL.test(s), 'must not contain control characters')
  .refine((s) => !s.startsWith('/') && !s.startsWith('\\') && !/^[A-Za-z]:/.test(s), 'must be relative to the project root')
  .refine((s) => !s.split(/[\\/]/).includes('..'), 'must not contain a .. segment');

/** Body of `PUT /api/issues/:issue_id`: the whole issue (absent fields become empty). */
export const putIssueBody = z.strictObject({
  title: issueTitleSchema,
  description: text.optional(),
  labels: z.array(issueLabelSchema).max(MAX_LABELS).optional(),
  files: z.array(issueFileSchema).max(MAX_FILES).optional(),
  acceptance: text.nullable().optional(),
});

export const issueIdParams = z.object({ issue_id: safeId });

export const listIssuesQuery = z.strictObject({
  label: issueLabelSchema.optional(),
  limit: z.coerce.number().int().min(1).max(ISSUES_MAX_LIMIT).optional(),
  cursor: z
    .string()
    .max(512)
    .refine((c) => decodeIssueCursor(c) !== undefined, 'not a cursor returned by this API')
    .optional(),
});

export const issueSchema = z.object({
  issue_id: z.string(),
  project_id: z.string(),
  title: z.string(),
  description: z.string(),
  labels: z.array(z.string()),
  files: z.array(z.string()),
  acceptance: z.string().nullable(),
  created_at: isoDateTime,
  updated_at: isoDateTime,
  revision: z.number().int().min(1),
});

export const issuePageSchema = z.object({ issues: z.array(issueSchema), next_cursor: z.string().nullable() });

/** One stored revision: the issue as it was, and when it was deleted if this revision is a deletion. */
export const issueRevisionSchema = issueSchema.extend({ deleted_at: isoDateTime.nullable() });
export const issueHistorySchema = z.object({ issue_id: z.string(), project_id: z.string(), revisions: z.array(issueRevisionSchema) });

export const deleteIssueResponse = z.object({
  issue_id: z.string(),
  project_id: z.string(),
  deleted: z.literal(true),
  revision: z.number().int(),
  deleted_at: isoDateTime,
});

export type PutIssueBody = z.output<typeof putIssueBody>;
export type PutIssueRequest = z.input<typeof putIssueBody>;
export type ListIssuesQuery = z.output<typeof listIssuesQuery>;
export type IssueBody = z.output<typeof issueSchema>;
export type IssuePageBody = z.output<typeof issuePageSchema>;
export type IssueRevisionBody = z.output<typeof issueRevisionSchema>;
export type IssueHistoryBody = z.output<typeof issueHistorySchema>;
export type DeleteIssueResponse = z.output<typeof deleteIssueResponse>;
