import { z } from 'zod';
import { ValidationError } from '../../errors/index.js';
import { AGENT_CATEGORIES, type AgentCategory } from '../../util/agent-category.js';

/**
 * Context profiles. They are named like the agent categories of permissions and rate limits
 * (`categoryOf`), but a type's profile may differ from its category: config rules and overrides
 * choose it (config key `category`, kept for compatibility), and a type naming only a language
 * gets the `coding` profile. So the code calls it a profile, never a category.
 */
export const PROFILE_NAMES = AGENT_CATEGORIES as readonly [AgentCategory, ...AgentCategory[]];
export type ProfileName = AgentCategory;

/** Hard cap on `max_bytes` (spec §4: above it the answer is 413 CTX_002). */
export const MAX_CONTEXT_BYTES_CAP = 10 * 1024 * 1024;

const weightsSchema = z
  .strictObject({
    source: z.number(),
    test: z.number(),
    docs: z.number(),
    config: z.number(),
    manifest: z.number(),
    ci: z.number(),
    infra: z.number(),
    script: z.number(),
    lock: z.number(),
    generated: z.number(),
    other: z.number(),
    /** Added to files touching auth, crypto, secrets handling, permissions… */
    security_sensitive: z.number(),
    /** Added to shallow entry points (index, main, app, server, cli…). */
    entry_point: z.number(),
    /** Added when the file's language is one of the profile's languages. */
    language_match: z.number(),
    /** Multiplies the base weight of source/test files in another programming language. */
    language_mismatch: z.number().min(0).max(1),
    /** Subtracted per directory level. */
    depth_penalty: z.number().min(0),
    include_match: z.number(),
    issue_files: z.number(),
    uncommitted: z.number(),
    recent_commits: z.number(),
    query: z.number(),
    recency: z.number(),
    /** Times the file's text relevance to the issue (0..1, BM25 on contents and path terms). */
    issue_match: z.number(),
    /** Added when the file defines an identifier the issue names. */
    issue_definition: z.number(),
    /** Added when the file uses an identifier the issue names (without defining it). */
    issue_reference: z.number(),
  })
  .partial();

const requirementsSchema = z
  .strictObject({
    /** false: `git_context` is null for this profile. */
    git_context: z.boolean(),
    /** Number of recent commits listed (0–30). */
    recent_commits: z.number().int().min(0).max(30),
    previous_outputs: z.boolean(),
    metadata: z.boolean(),
  })
  .partial();

/** Overrides for one agent type, one profile, or `*` (all); `category` picks the profile. */
export const profileOverrideSchema = z.strictObject({
  category: z.enum(PROFILE_NAMES).optional(),
  /** Language names (see languages.ts), e.g. ["python"]. */
  languages: z.array(z.string().min(1)).optional(),
  /** gitignore-style patterns whose files are raised for this profile. */
  include: z.array(z.string().min(1)).optional(),
  /** gitignore-style patterns never selected as relevant files for this profile. */
  exclude: z.array(z.string().min(1)).optional(),
  weights: weightsSchema.optional(),
  requirements: requirementsSchema.optional(),
  /** Default `max_files` / `max_bytes` when the request does not give them. */
  max_files: z.number().int().min(1).max(1000).optional(),
  max_bytes: z.number().int().min(1).max(MAX_CONTEXT_BYTES_CAP).optional(),
});

const ruleSchema = z.strictObject({
  /** Regular expression tested against the lower-cased agent type. */
  pattern: z
    .string()
    .min(1)
    .refine((p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    }, 'must be a valid regular expression'),
  category: z.enum(PROFILE_NAMES),
  languages: z.array(z.string().min(1)).optional(),
});

/**
 * The `context` section of `.cco/orchestration.json`. Every key is optional; an empty object
 * gives the built-in behaviour.
 *
 * @example {"context": {"profiles": {"python-specialist": {"include": ["scripts/"]}}, "exclude": ["fixtures/"]}}
 */
export const contextConfigSchema = z.strictObject({
  /** Keyed by exact agent type, by profile name, or `*`; merged in that order of precedence. */
  profiles: z.record(z.string().min(1), profileOverrideSchema).default({}),
  /** Extra agent type → profile rules (`category` names the profile), tried before the built-in ones. */
  rules: z.array(ruleSchema).default([]),
  /** Extra gitignore-style patterns excluded from the index. */
  exclude: z.array(z.string().min(1)).default([]),
  /** false: do not apply the built-in excludes (node_modules, build outputs, …). `.git` is always excluded. */
  default_excludes: z.boolean().default(true),
  /** Extra gitignore-style patterns for files that must never be sent. */
  secret_files: z.array(z.string().min(1)).default([]),
  /** Files larger than this are listed but never read. */
  max_file_bytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** Cap on `project_structure.files` (most relevant first). */
  structure_max_files: z.number().int().min(0).max(100_000).default(2000),
  default_max_bytes: z
    .number()
    .int()
    .min(1)
    .max(MAX_CONTEXT_BYTES_CAP)
    .default(512 * 1024),
  default_max_files: z.number().int().min(1).max(1000).default(50),
  /** Freshness window used when the watcher is disabled or degraded. */
  ttl_ms: z.number().int().min(0).max(600_000).default(2000),
  /** Debounce of the `files_changed` event. */
  debounce_ms: z.number().int().min(0).max(60_000).default(100),
  /** Watcher implementation: one `fs.watch` per indexed directory, or chokidar 4. */
  watcher: z.enum(['native', 'chokidar']).default('native'),
  /** Worker threads for scanning and building (default: available parallelism, at most 4). */
  worker_threads: z.number().int().min(1).max(64).optional(),
  /** Uncommitted changes listed in git_context (the ranking still sees all of them). */
  max_uncommitted: z.number().int().min(0).max(10_000).default(200),
});

export type ContextConfig = z.output<typeof contextConfigSchema>;
export type ProfileOverride = z.output<typeof profileOverrideSchema>;
export type Weights = Required<z.output<typeof weightsSchema>>;
export type Requirements = Required<z.output<typeof requirementsSchema>>;

/**
 * Validate the free-form `context` section of the config. Throws a ValidationError whose
 * issues name the offending keys (`context.profiles.x.weights.source`).
 */
export function parseContextConfig(raw: unknown): ContextConfig {
  const parsed = contextConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: ['context', ...i.path].join('.'), message: i.message }));
    throw new ValidationError('Invalid context configuration', issues);
  }
  return parsed.data;
}
