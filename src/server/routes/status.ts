import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { statusResponse } from '../../contract/observability.js';

/** `GET /status`: real counters from each component and the request window (spec §4). */
export const statusRoutes: RouteModule = (routers, deps) => {
  defineRoute(
    routers,
    {
      method: 'get',
      path: '/status',
      tag: 'observability',
      summary: 'Counters of agents, storage, events and request latency',
      responses: { 200: { description: 'Measured counters over a sliding window', schema: statusResponse } },
    },
    () => {
      const cache = deps.context.stats();
      const results = deps.results.stats();
      return {
        node_id: deps.config.node_id,
        agents: deps.agents.stats(),
        storage: {
          context_cache_entries: cache.context_cache_entries,
          context_cache_bytes: cache.context_cache_bytes,
          results_stored: results.results_stored,
          total_size_mb: results.total_size_mb,
          cache_hit_rate: cache.cache_hit_rate,
          storage_path: deps.config.storage_path,
          results_backend: deps.config.results.backend,
        },
        events: deps.bus.stats(),
        performance: deps.requestStats.snapshot(),
        timestamp: new Date().toISOString(),
      };
    },
  );
};
