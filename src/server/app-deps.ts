import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { TokenService } from '../auth/token-service.js';
import type { RequestStats } from '../observability/request-stats.js';
import type { Metrics } from '../observability/metrics.js';
import type { AuditSink } from '../audit/audit-log.js';
import type { AgentRateLimiter } from '../protection/agent-rate-limiter.js';
import type { ResultStore } from '../results/result-store.js';

export type ComponentHealth = 'ok' | 'degraded' | 'down';

/** The `/status` `events` section, measured by the bus. */
export interface EventBusStats {
  total_published: number;
  total_delivered: number;
  active_subscriptions: number;
  queue_depth: number;
  avg_delivery_time_ms: number;
  dead_letter_queue_size: number;
}

/** What the server core needs from the event bus (the bus module offers much more). */
export interface EventBusPort {
  stats(): EventBusStats;
  health(): ComponentHealth;
  /** Used by `POST /api/results` to announce `agent_completed` / `agent_failed`. */
  publish(input: {
    event_type: string;
    publisher: string;
    topic?: string;
    data?: Record<string, unknown>;
    correlation_id?: string | null;
  }): Promise<{ event: { event_id: string; timestamp: string } }>;
  close(): Promise<void>;
}

/** The result store (src/results): the routes use all of it, /status and /health its stats and health. */
export type ResultStorePort = ResultStore;

export interface ContextPort {
  stats(): { context_cache_entries: number; context_cache_bytes: number; cache_hit_rate: number; cache_hits: number; cache_misses: number };
  watcherStatus(): 'ok' | 'degraded' | 'disabled';
  close(): Promise<void>;
}

/** The `/status` `agents` section. */
export interface AgentStats {
  active: number;
  queued: number;
  completed: number;
  failed: number;
  spawned_total: number;
  by_type: Record<string, number>;
  avg_execution_time_ms: number;
}

export interface AgentsPort {
  stats(): AgentStats;
  close(): Promise<void>;
}

/**
 * Everything the HTTP app needs, passed in (no module-global singletons), so tests can build an
 * app around any combination of real components.
 */
export interface AppDeps {
  config: Config;
  logger: Logger;
  tokens: TokenService;
  metrics: Metrics;
  requestStats: RequestStats;
  version: string;
  startedAt: number;
  /** `<storage>/audit.log`: HTTP middleware records requests; modules record spawn/kill etc. */
  audit: AuditSink;
  /** Per-token limits (spec §3); built from `config.rate_limits` in memory unless given (e.g. Redis-backed). */
  rateLimiter?: AgentRateLimiter;
  bus?: EventBusPort;
  results?: ResultStorePort;
  context?: ContextPort;
  agents?: AgentsPort;
}
