import { z } from 'zod';

/** `/health`, `/status`, `/metrics` and `/openapi.json` (spec §4). */

const componentHealth = z.enum(['ok', 'degraded', 'down']);

export const healthResponse = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  service: z.literal('orchestration-sidecar'),
  /** This sidecar in its cluster (spec §10). */
  node_id: z.string(),
  version: z.string(),
  uptime_seconds: z.number().int(),
  checks: z.object({
    storage: componentHealth,
    event_bus: componentHealth,
    watcher: z.enum(['ok', 'degraded', 'disabled']),
    memory_usage_mb: z.number(),
    cpu_usage_percent: z.number(),
    active_agents: z.number().int(),
    event_queue_size: z.number().int(),
    disk_space_available_mb: z.number(),
    /** Why the event bus is not ok (e.g. "redis unreachable"); absent when it is. */
    event_bus_reason: z.string().optional(),
    /** Why storage is not ok, when the result store knows (e.g. "PostgreSQL at postgres://app:***@db/cco unreachable: …"). */
    storage_reason: z.string().optional(),
  }),
  /** Durability caveats (e.g. Redis without appendonly); never secrets. */
  warnings: z.array(z.string()),
  timestamp: z.string(),
});

export const agentStatsSchema = z.object({
  active: z.number().int(),
  queued: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  spawned_total: z.number().int(),
  by_type: z.record(z.string(), z.number()),
  avg_execution_time_ms: z.number(),
});

export const eventStatsSchema = z.object({
  total_published: z.number(),
  total_delivered: z.number(),
  active_subscriptions: z.number(),
  queue_depth: z.number(),
  avg_delivery_time_ms: z.number(),
  dead_letter_queue_size: z.number(),
});

export const statusResponse = z.object({
  node_id: z.string(),
  agents: agentStatsSchema,
  storage: z.object({
    context_cache_entries: z.number(),
    context_cache_bytes: z.number(),
    results_stored: z.number(),
    total_size_mb: z.number(),
    cache_hit_rate: z.number(),
    storage_path: z.string(),
    results_backend: z.enum(['files', 'postgres']),
  }),
  events: eventStatsSchema,
  performance: z.object({
    avg_response_time_ms: z.number(),
    p95_response_time_ms: z.number(),
    p99_response_time_ms: z.number(),
    requests_per_second: z.number(),
    errors_per_minute: z.number(),
  }),
  timestamp: z.string(),
});

/** Prometheus text exposition. */
export const metricsResponse = z.string();

/** An OpenAPI 3.1 document. */
export const openApiResponse = z.looseObject({
  openapi: z.string(),
  info: z.object({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

export type HealthResponse = z.output<typeof healthResponse>;
export type StatusResponse = z.output<typeof statusResponse>;
