import { z } from 'zod';
import { safeId } from './ids.js';

/** Context injection and its cache (spec §4 `GET /api/context/…`, `DELETE /api/cache/…`). */

export const STRATEGIES = ['smart', 'file_sampling', 'none'] as const;
export const strategySchema = z.enum(STRATEGIES);

export const contextParams = z.object({ issue_id: safeId, agent_type: safeId });
export const cacheIssueParams = z.object({ issue_id: safeId });

/** Query values arrive as strings (or arrays when repeated, which the schemas reject). */
const intString = z
  .string()
  .regex(/^\d{1,12}$/, 'must be a positive integer')
  .transform(Number);
export const contextQuery = z.object({
  // The 10 MiB cap is an invariant of the context engine: above it the answer is 413 CTX_002, not 400.
  max_bytes: intString.refine((n) => n >= 1, 'must be at least 1').optional(),
  max_files: intString.refine((n) => n >= 1 && n <= 1000, 'must be from 1 to 1000').optional(),
  strategy: strategySchema.optional(),
  q: z.string().max(512).optional(),
  refresh: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .optional(),
});

const relevantFileSchema = z.object({
  path: z.string(),
  content: z.string(),
  last_modified: z.string(),
  size: z.number(),
  language: z.string(),
  checksum: z.string(),
  truncated: z.boolean(),
  reason: z.string(),
  // Spec §8: present when another holder leases the file or a directory above it.
  leased_by: z
    .object({ lease_id: z.string(), holder: z.string(), agent_type: z.string(), path: z.string(), fencing_token: z.number(), expires_at: z.string() })
    .optional(),
});
const commitSchema = z.object({ hash: z.string(), message: z.string(), author: z.string(), timestamp: z.string(), files_changed: z.array(z.string()) });
const gitContextSchema = z.object({
  branch: z.string().nullable(),
  head: z.string().nullable(),
  recent_commits: z.array(commitSchema),
  uncommitted_changes: z.array(z.object({ path: z.string(), status: z.string(), diff: z.string(), old_path: z.string().optional() })),
  remote: z.string().nullable(),
  remote_url: z.string().nullable(),
});
const previousOutputSchema = z.object({
  agent: z.string(),
  agent_type: z.string(),
  timestamp: z.string(),
  status: z.string(),
  decision: z.string().nullable(),
  rationale: z.string().nullable(),
  files_affected: z.array(z.string()),
  result_id: z.string(),
});
const metadataSchema = z.object({ project_type: z.string(), project_types: z.array(z.string()), dependencies: z.array(z.unknown()) });
const issueSchema = z.object({
  issue_id: z.string(),
  project_id: z.string(),
  title: z.string(),
  description: z.string(),
  labels: z.array(z.string()),
  files: z.array(z.string()),
  acceptance: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  revision: z.number().int(),
});
/** spec §6: definitions of the next most relevant files that did not arrive whole. */
const codeMapSchema = z.object({
  files: z.array(
    z.object({ path: z.string(), symbols: z.array(z.object({ name: z.string(), kind: z.string(), line: z.number().int(), signature: z.string() })) }),
  ),
  truncated: z.boolean(),
});
/** How far the code search index was built when the context was ranked. */
const searchIndexSchema = z.object({ state: z.enum(['building', 'ready', 'failed']), indexed_files: z.number().int(), total_files: z.number().int() });

/** The 200 body of `GET /api/context/:issue_id/:agent_type` (wave 2 adds fields; unknown keys are allowed). */
export const contextResponse = z.object({
  issue_id: z.string(),
  agent_type: z.string(),
  context: z.object({
    project_structure: z.object({
      root: z.string(),
      files: z.array(z.string()),
      directories: z.array(z.string()),
      total_files: z.number(),
      total_size_bytes: z.number(),
      files_truncated: z.boolean(),
      by_language: z.record(z.string(), z.number()),
    }),
    relevant_files: z.array(relevantFileSchema),
    git_context: gitContextSchema.nullable(),
    previous_agent_outputs: z.array(previousOutputSchema),
    metadata: metadataSchema,
    issue: issueSchema.nullable(),
    code_map: codeMapSchema,
    search_index: searchIndexSchema.nullable(),
  }),
  truncated: z.boolean(),
  truncation_strategy: strategySchema,
  total_size_bytes: z.number(),
  file_count: z.number(),
  token_estimate: z.number(),
  generation_ms: z.number(),
  timestamp: z.string(),
  cache_hit: z.boolean(),
});

export const cacheClearedResponse = z.object({ cleared: z.literal(true), entries_removed: z.number().int(), bytes_freed: z.number(), timestamp: z.string() });

export type ContextParams = z.output<typeof contextParams>;
export type ContextQuery = z.output<typeof contextQuery>;
export type ContextResponseBody = z.output<typeof contextResponse>;
export type CacheClearedResponse = z.output<typeof cacheClearedResponse>;
