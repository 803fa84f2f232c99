import { z } from 'zod';
import { safeId } from './ids.js';
import { AGENT_STATUSES, type AgentStatus } from '../agents/types.js';

/** Agents (spec §4 Agents): spawn, list, status, logs, kill. */

/** What the task may hold: it reaches the agent as `TASK` in its environment. */
const MAX_TASK_BYTES = 64 * 1024;
const noNul = (s: string) => !s.includes('\0');

export const agentStatusSchema = z.enum(AGENT_STATUSES as [AgentStatus, ...AgentStatus[]]);
export const agentPrioritySchema = z.enum(['low', 'normal', 'high']);

export const spawnBody = z.strictObject({
  agent_type: safeId,
  issue_id: safeId,
  task: z
    .string()
    .min(1)
    .refine(noNul, 'must not contain a NUL character')
    .refine((s) => Buffer.byteLength(s) <= MAX_TASK_BYTES, `longer than ${MAX_TASK_BYTES} bytes`),
  context_requirements: z.array(z.string().min(1).max(1_024).refine(noNul, 'must not contain a NUL character')).max(100).optional(),
  // Keys are checked by the supervisor (dangerous and reserved names → 400 with every key listed).
  environment: z.record(z.string(), z.string()).optional(),
  priority: agentPrioritySchema.optional(),
});

export const listAgentsQuery = z.object({
  status: agentStatusSchema.optional(),
  type: safeId.optional(),
  issue_id: safeId.optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

export const agentIdParams = z.object({ id: safeId });

export const agentLogsQuery = z.object({
  stream: z.enum(['stdout', 'stderr']).default('stdout'),
  tail: z.coerce.number().int().min(1).max(10_000).default(100),
  offset: z.coerce.number().int().min(0).optional(),
});

export const killAgentQuery = z.object({ force: z.enum(['true', 'false', '1', '0']).optional() });

export const spawnResponse = z.object({
  agent_id: z.string(),
  spawned: z.literal(true),
  status: z.enum(['running', 'queued']),
  process_id: z.number().int().nullable(),
  context_injected: z.boolean(),
  jwt_token: z.string(),
  webhook_url: z.string(),
  timestamp: z.string(),
  queue_position: z.number().int().optional(),
});

/** The public view of one agent (status endpoint, list, CLI): never a token or a secret. */
export const agentViewSchema = z.object({
  agent_id: z.string(),
  agent_type: z.string(),
  issue_id: z.string(),
  project_id: z.string(),
  task: z.string(),
  priority: agentPrioritySchema,
  status: agentStatusSchema,
  process_id: z.number().int().nullable(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  reason: z.string().nullable(),
  error: z.string().nullable(),
  context_injected: z.boolean(),
  timeout_seconds: z.number(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  log_dropped_bytes: z.object({ stdout: z.number(), stderr: z.number() }),
  webhook_url: z.string(),
  uptime_ms: z.number().nullable(),
  /** The node that runs (or ran) it: in a cluster its process and logs live there. */
  node_id: z.string().optional(),
});
export const agentStatusResponse = agentViewSchema.extend({ timestamp: z.string() });
export const agentListResponse = z.object({ agents: z.array(agentViewSchema), total: z.number().int(), timestamp: z.string() });

export const agentLogsResponse = z.object({
  agent_id: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  status: agentStatusSchema,
  lines: z.array(z.string()),
  offset: z.number().int(),
  next_offset: z.number().int(),
  size_bytes: z.number().int(),
  truncated: z.boolean(),
  /** No more output will come (the agent has ended). */
  final: z.boolean(),
  capped: z.boolean(),
  timestamp: z.string(),
});

export const killAgentResponse = z.object({
  agent_id: z.string(),
  status: agentStatusSchema,
  killed: z.boolean(),
  signal: z.enum(['SIGTERM', 'SIGKILL']).nullable(),
  timestamp: z.string(),
});

export type SpawnAgentBody = z.output<typeof spawnBody>;
export type SpawnAgentRequest = z.input<typeof spawnBody>;
export type SpawnAgentResponse = z.output<typeof spawnResponse>;
export type ListAgentsQuery = z.output<typeof listAgentsQuery>;
export type AgentLogsQuery = z.output<typeof agentLogsQuery>;
export type KillAgentQuery = z.output<typeof killAgentQuery>;
export type AgentViewBody = z.output<typeof agentViewSchema>;
export type AgentStatusResponse = z.output<typeof agentStatusResponse>;
export type AgentListResponse = z.output<typeof agentListResponse>;
export type AgentLogsResponse = z.output<typeof agentLogsResponse>;
export type KillAgentResponse = z.output<typeof killAgentResponse>;
