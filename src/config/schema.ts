import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { SAFE_ID_PATTERN } from '../contract/ids.js';
import { AGENT_PRESET_NAMES, AGENT_PRESETS, MCP_CONFIG_FORMATS, type McpConfigFormat } from './agent-presets.js';
import { contextConfigSchema } from '../context/service/context-config.js';

/**
 * The one typed configuration. Every section has defaults taken from the spec
 * (DESIGN.md "Defaults worth keeping"), so an empty `.cco/orchestration.json` is valid.
 * Unknown keys are rejected so a typo in the config file is an error, not a silent default.
 */

const eventsSchema = z.strictObject({
  /**
   * Where events live: 'embedded' (ring + journal in this process) or 'redis' (Redis Streams at
   * `redis.url`, shared by every sidecar of the project there; spec §10). Defaults to 'redis'
   * when a `redis.url` is given, else 'embedded'.
   */
  backend: z.enum(['embedded', 'redis']).optional(),
  buffer_size: z.number().int().min(10).max(1_000_000).default(10_000),
  retention_seconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  dead_letter_size: z.number().int().min(0).max(1_000_000).default(1_000),
  max_waits_per_token: z.number().int().min(1).default(256),
  max_waits_total: z.number().int().min(1).default(10_000),
  default_wait_timeout_ms: z.number().int().min(0).default(30_000),
  max_wait_timeout_ms: z.number().int().min(0).default(300_000),
  /** Comment line sent on an idle `GET /api/events/stream` so proxies and clients see it alive (spec §9: 15 s). */
  stream_heartbeat_ms: z.number().int().min(10).max(300_000).default(15_000),
  /** 'always': fsync the journal before answering 202; 'interval': fsync every `fsync_interval_ms`. */
  fsync: z.enum(['always', 'interval']).default('always'),
  fsync_interval_ms: z.number().int().min(1).default(50),
  /** Largest accepted serialized `data` of one event (400 EVT_002 beyond). */
  max_event_bytes: z
    .number()
    .int()
    .min(256)
    .max(10 * 1024 * 1024)
    .default(1024 * 1024),
  /** Memory bound of the buffer: oldest events are evicted (and dead-lettered) beyond it. */
  buffer_max_bytes: z
    .number()
    .int()
    .min(64 * 1024)
    .default(256 * 1024 * 1024),
});

/** The Redis server of a cluster (spec §10); credentials in the URL are never logged or shown. */
const redisSchema = z.strictObject({
  url: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Each node's heartbeat in the agent registry; a node silent for 3 × this is dead and its running agents fail (`node_lost`). */
  heartbeat_ms: z.number().int().min(100).max(60_000).default(2_000),
  /** How long a status, logs or kill request forwarded to the agent's node waits for its answer (then 503 `AGT_004`). */
  forward_timeout_ms: z.number().int().min(100).max(60_000).default(5_000),
});

const resultsSchema = z.strictObject({
  retention_days: z.number().min(0.0001).max(36_500).default(30),
  /** 'files': JSON files in the storage dir (one node); 'postgres': shared by a cluster (spec §10). Default: 'postgres' when `postgres.url` is set. */
  backend: z.enum(['files', 'postgres']).default('files'),
});

/** PostgreSQL (results and issues of a cluster). The URL may hold a password: it is never logged or shown. */
const postgresSchema = z.strictObject({
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** Connections of each sidecar process. */
  pool_size: z.number().int().min(1).max(1_000).default(10),
  /** Bound on getting a connection; a down server answers 503 STR_002 within it. */
  connect_timeout_ms: z.number().int().min(100).max(60_000).default(1_500),
  query_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
});

const workflowRuleSchema = z.strictObject({
  /** Which finished agent this rule is for: an exact type, a category (e.g. "coding"), or "*". */
  when_agent: z.string().min(1),
  /** "success", "failed", "partial" or "*". */
  when_status: z.string().min(1).default('success'),
  next: z.array(
    z.strictObject({
      agent_type: z.string().min(1),
      priority: z.enum(['high', 'medium', 'low']),
      reason: z.string().min(1),
    }),
  ),
});

/**
 * One rate-limit policy (see src/protection/rate-limit-policy.ts for the semantics): at most
 * `points_per_minute` requests per minute, and at most `burst` of them back to back (within the
 * time the sustained rate needs to earn `burst` requests). `burst` defaults to 10 s worth of the
 * sustained rate.
 */
const rateLimitSchema = z.strictObject({
  /** null = unlimited. */
  points_per_minute: z.number().int().min(1).max(1_000_000).nullable(),
  burst: z.number().int().min(1).max(1_000_000).optional(),
});

/** Size-based rotation of an append-only log: 10 MiB × 5 by default. */
const rotationFields = {
  max_file_bytes: z
    .number()
    .int()
    .min(4096)
    .max(1024 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  max_files: z.number().int().min(1).max(100).default(5),
};

/** `<storage>/audit.log`: size-based rotation into audit.log.1 … audit.log.<max_files>. */
const auditSchema = z.strictObject({
  ...rotationFields,
  /** 'always': fdatasync before the request goes on; 'interval': every `fsync_interval_ms`. */
  fsync: z.enum(['always', 'interval']).default('interval'),
  fsync_interval_ms: z.number().int().min(10).max(60_000).default(1_000),
});

/** `<storage>/logs/sidecar.log`: size-based rotation into sidecar.log.1 … sidecar.log.<max_files>. */
const logFileSchema = z.strictObject(rotationFields);

/** HTTP server limits against slow, greedy or malformed clients. */
const httpSchema = z.strictObject({
  /** Open sockets beyond this get 503 SRV_001 (Connection: close). */
  max_connections: z.number().int().min(1).max(1_000_000).default(12_000),
  /**
   * Pending-connection queue of the listening socket (`listen` backlog; the kernel caps it at
   * net.core.somaxconn). Node's 511 overflowed under a burst of 5,000 connects and the dropped
   * SYNs were retried after 1 s; 8,192 holds such a burst where somaxconn allows (bench/RESULTS.md).
   */
  listen_backlog: z.number().int().min(1).max(65_535).default(8_192),
  max_url_bytes: z
    .number()
    .int()
    .min(256)
    .max(64 * 1024)
    .default(8 * 1024),
  /** Request line + headers (Node's maxHeaderSize); larger → 431 REQ_006. */
  max_header_bytes: z
    .number()
    .int()
    .min(1024)
    .max(256 * 1024)
    .default(16 * 1024),
  /** Time to receive the headers (slowloris); 408 REQ_007 after it. */
  headers_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
  /** Time to receive the whole request (headers + body); long-poll waits are not affected. */
  request_timeout_ms: z.number().int().min(100).max(3_600_000).default(30_000),
  keep_alive_timeout_ms: z.number().int().min(100).max(600_000).default(5_000),
});

/** An agent command after its preset (if any) was applied. */
interface ResolvedAgentCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  inherit_env: string[];
  timeout_seconds: number;
  /** Absent means json (the generic mcpServers document Claude Code also reads). */
  mcp_config_format?: McpConfigFormat;
}

const agentCommandSchema = z
  .strictObject({
    /** Required unless `preset` names a built-in command (src/config/agent-presets.ts). */
    command: z.string().min(1).optional(),
    /** With a preset: appended to the preset's arguments. */
    args: z.array(z.string()).default([]),
    /** A built-in command: claude, codex, gemini or aider. */
    preset: z.enum(AGENT_PRESET_NAMES).optional(),
    /** Set for this agent type by the operator (trusted, applied over the base environment). */
    env: z.record(z.string(), z.string()).default({}),
    /** Names of the sidecar's own environment variables passed through (e.g. an API key). */
    inherit_env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
    timeout_seconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .default(3_600),
    /** Client format of the agent's `CCO_MCP_CONFIG` file (default: the preset's, else claude/json). */
    mcp_config_format: z.enum(MCP_CONFIG_FORMATS).optional(),
  })
  .transform((cmd, ctx): ResolvedAgentCommand => {
    // Resolved once here, so the rest of the sidecar sees a plain command (and re-parsing the
    // output is a no-op: `preset` is gone from it).
    const preset = cmd.preset ? AGENT_PRESETS[cmd.preset] : undefined;
    const command = cmd.command ?? preset?.command;
    if (!command) {
      ctx.addIssue({ code: 'custom', message: 'needs a command or a preset', path: ['command'] });
      return z.NEVER;
    }
    return {
      command,
      args: [...(cmd.command === undefined && preset ? preset.args : []), ...cmd.args],
      env: { ...preset?.env, ...cmd.env },
      inherit_env: cmd.inherit_env,
      timeout_seconds: cmd.timeout_seconds,
      mcp_config_format: cmd.mcp_config_format ?? preset?.mcp_config_format ?? 'json',
    };
  });

/** MCP (spec §7): `/mcp` and `cco orchestration mcp`. */
export const mcpSchema = z.strictObject({
  /**
   * `wait_for_events` and other long tool calls end before this (ms), below the tool timeouts of
   * MCP clients (Codex: 60 s per tool by default), and always return `next_cursor`.
   */
  wait_cap_ms: z.number().int().min(0).max(300_000).default(50_000),
});

export const configSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(3001),
    storage_path: z
      .string()
      .min(1)
      .default(path.join(os.homedir(), '.cco', 'orchestration')),
    project_root: z.string().min(1).optional(),
    project_id: z.string().regex(SAFE_ID_PATTERN).optional(),
    cache_size_mb: z.number().int().min(1).max(1_048_576).default(1024),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    jwt_secret: z.string().optional(),
    /** A key file shared by every node of a cluster (mode 0600, ≥ 32 bytes); never created by the sidecar. */
    jwt_secret_file: z.string().min(1).optional(),
    /** This sidecar's name in a cluster (in /health, /status and the agent registry); default `<host>-<pid>-<random>`. */
    node_id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/)
      .optional(),
    token_ttl_seconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(3_600),
    /**
     * Longest lifetime (exp − iat) of any token: minting a longer one is refused, and a presented
     * token that claims a longer one is 401 AUTH_001 (issue 15). Must be ≥ token_ttl_seconds.
     */
    max_token_ttl_seconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(86_400),
    watch: z.boolean().default(true),
    body_limit_bytes: z
      .number()
      .int()
      .min(1024)
      .max(100 * 1024 * 1024)
      .default(10 * 1024 * 1024),
    allowed_hosts: z.array(z.string()).default([]),
    events: eventsSchema.default(eventsSchema.parse({})),
    redis: redisSchema.default(redisSchema.parse({})),
    results: resultsSchema.default(resultsSchema.parse({})),
    postgres: postgresSchema.default(postgresSchema.parse({})),
    /** Replaces the default workflow rules for `next_agents` when given. */
    workflow_rules: z.array(workflowRuleSchema).optional(),
    /** Agent type or category → permissions; overrides the defaults of spec §2. */
    permissions: z.record(z.string(), z.array(z.string())).default({}),
    /** Keyed by exact agent type, category (spec §3) or "admin"; overrides the defaults. */
    rate_limits: z.record(z.string(), rateLimitSchema).default({}),
    audit: auditSchema.default(auditSchema.parse({})),
    log_file: logFileSchema.default(logFileSchema.parse({})),
    http: httpSchema.default(httpSchema.parse({})),
    mcp: mcpSchema.default(mcpSchema.parse({})),
    agents: z.record(z.string(), agentCommandSchema).default({}),
    max_concurrent_agents: z.number().int().min(1).max(10_000).default(119),
    agent_queue_size: z.number().int().min(0).max(1_000_000).default(1_000),
    /**
     * Between SIGTERM and SIGKILL when an agent group is stopped (timeout, kill, shutdown). Kept
     * under the 5 s within which a stopping sidecar must exit.
     */
    agent_kill_grace_seconds: z.number().min(0).max(600).default(3),
    /**
     * CPU niceness of agent processes (0 = same as the sidecar). Agents are batch work: when they
     * saturate the machine the sidecar, at normal priority, must still answer them promptly.
     */
    agent_nice: z.number().int().min(0).max(19).default(19),
    /** Per stream (stdout, stderr) and agent; output past it is drained and dropped. */
    agent_log_max_bytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024)
      .default(10 * 1024 * 1024),
    /** Finished agents (state and logs) older than this are removed. */
    agent_history_days: z.number().min(0.0001).max(36_500).default(30),
    /** Context engine settings: agent profiles, excludes, budgets, watcher (src/context/service/context-config.ts). */
    context: contextConfigSchema.default(contextConfigSchema.parse({})),
  })
  .refine((c) => c.token_ttl_seconds <= c.max_token_ttl_seconds, {
    message: 'must not be larger than max_token_ttl_seconds',
    path: ['token_ttl_seconds'],
  });

/** Checks across sections, so a cluster setting that cannot work is refused at start. */
export const checkedConfigSchema = configSchema.superRefine((cfg, ctx) => {
  if (cfg.jwt_secret !== undefined && cfg.jwt_secret_file !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['jwt_secret_file'],
      message: 'give the signing key once: either jwt_secret (CCO_SIDECAR_JWT_SECRET) or jwt_secret_file (CCO_SIDECAR_JWT_SECRET_FILE)',
    });
  }
  if (cfg.results.backend === 'postgres' && !cfg.postgres.url) {
    ctx.addIssue({
      code: 'custom',
      path: ['postgres', 'url'],
      message: "results.backend is 'postgres' but no PostgreSQL URL is set (postgres.url, CCO_POSTGRES_URL or --postgres-url)",
    });
  }
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = Readonly<z.output<typeof configSchema>> & {
  /** Always resolved by the loader. */
  readonly project_root: string;
  readonly project_id: string;
  readonly node_id: string;
};
export type RateLimitConfig = z.output<typeof rateLimitSchema>;
export type WorkflowRule = z.output<typeof workflowRuleSchema>;
export type AgentCommand = z.output<typeof agentCommandSchema>;
