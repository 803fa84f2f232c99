import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { TokenService } from '../auth/token-service.js';
import type { RequestStats } from '../observability/request-stats.js';
import type { Metrics } from '../observability/metrics.js';
import type { AuditSink } from '../audit/audit-log.js';
import type { AgentRateLimiter } from '../protection/agent-rate-limiter.js';
import type { ContextService } from '../context/index.js';
import type { EventBus } from '../events/event-bus.js';
import type { AgentSupervisor } from '../agents/agent-supervisor.js';
import type { AgentStatsSnapshot } from '../agents/types.js';
import type { ResultStore } from '../results/result-store.js';
import type { Coordination } from '../coordination/index.js';

export type ComponentHealth = 'ok' | 'degraded' | 'down';

/** The `/status` `events` section, measured by the bus. */
export type { EventBusStats } from '../events/event-bus.js';

/** The event bus (src/events): routes use all of it, /status, /health and /metrics its stats and health. */
export type EventBusPort = EventBus;

/** The result store (src/results): the routes use all of it, /status and /health its stats and health. */
export type ResultStorePort = ResultStore;

/** The context engine (src/context): routes use all of it, /status, /health and /metrics its stats and watcher status. */
export type ContextPort = ContextService;

/** The `/status` `agents` section. */
export type AgentStats = AgentStatsSnapshot;

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
  /** The agent supervisor (it implements AgentsPort); its routes are in routes/agents.ts. */
  agents?: AgentSupervisor;
  /** Leases and gates (src/coordination, spec §8); their routes are routes/leases.ts and routes/gates.ts. */
  coordination?: Coordination;
  /**
   * Build the context of an issue for an agent type (set where the context engine is wired).
   * Spawned agents find it in `CONTEXT_FILE`; without it they get issue, type and task only.
   */
  buildAgentContext?: (issueId: string, agentType: string, options: { task: string; requirements: readonly string[] }) => Promise<unknown>;
}
