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
import type { AgentRegistry } from '../agents/agent-registry.js';
import type { ResultStore } from '../results/result-store.js';
import type { IssueRegistry } from '../issues/issue-registry.js';
import type { Coordination } from '../coordination/index.js';

export type ComponentHealth = 'ok' | 'degraded' | 'down';

/**
 * Everything the HTTP app needs, passed in (no module-global singletons) and all of it required:
 * the composition root (`src/sidecar/start-sidecar.ts`) builds every component before the app,
 * so no route needs a guard for a missing one.
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
  bus: EventBus;
  results: ResultStore;
  /** The issue registry (spec §6); the context engine reads it through `issues.lookup`. */
  issues: IssueRegistry;
  context: ContextService;
  /** The agent supervisor; its routes are in routes/agents.ts. */
  agents: AgentSupervisor;
  /** Every node's agents (Redis); absent: this node's table only. */
  agentRegistry?: AgentRegistry;
  /** Aborted when the sidecar starts to stop: pending long-polls are answered at once. */
  shutdownSignal: AbortSignal;
  /** Leases and gates (src/coordination, spec §8); their routes are routes/leases.ts and routes/gates.ts. */
  coordination: Coordination;
}
