import type { RouteModule } from './routers.js';
import type { AgentStats, EventBusStats } from '../app-deps.js';
import { defineRoute } from '../route-spec.js';
import { statusResponse } from '../../contract/observability.js';

const NO_AGENTS: AgentStats = { active: 0, queued: 0, completed: 0, failed: 0, spawned_total: 0, by_type: {}, avg_execution_time_ms: 0 };
const NO_EVENTS: EventBusStats = {
  total_published: 0, total_delivered: 0, active_subscriptions: 0, queue_depth: 0, avg_delivery_time_ms: 0, dead_letter_queue_size: 0,
};

/** `GET /status`: real counters from each component and the request window (spec §4). */
export const statusRoutes: RouteModule = (routers, deps) => {
  defineRoute(routers, {
    method: 'get', path: '/status', tag: 'observability', summary: 'Counters of agents, storage, events and request latency',
    responses: { 200: { description: 'Measured counters over a sliding window', schema: statusResponse } },
  }, () => {
    const cache = deps.context?.stats();
    const results = deps.results?.stats();
    return {
      agents: deps.agents?.stats() ?? NO_AGENTS,
      storage: {
        context_cache_entries: cache?.context_cache_entries ?? 0,
        context_cache_bytes: cache?.context_cache_bytes ?? 0,
        results_stored: results?.results_stored ?? 0,
        total_size_mb: results?.total_size_mb ?? 0,
        cache_hit_rate: cache?.cache_hit_rate ?? 0,
        storage_path: deps.config.storage_path,
      },
      events: deps.bus?.stats() ?? NO_EVENTS,
      performance: deps.requestStats.snapshot(),
      timestamp: new Date().toISOString(),
    };
  });
};
