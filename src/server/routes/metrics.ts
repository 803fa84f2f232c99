import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { metricsResponse } from '../../contract/observability.js';

/** `GET /metrics`: Prometheus text exposition. Behind auth like every route but /health. */
export const metricsRoutes: RouteModule = (routers, deps) => {
  defineRoute(
    routers,
    {
      method: 'get',
      path: '/metrics',
      tag: 'observability',
      summary: 'Prometheus text exposition',
      responses: { 200: { description: 'Metrics in Prometheus text format', schema: metricsResponse, contentType: 'text/plain' } },
    },
    async (ctx) => {
      ctx.type = deps.metrics.contentType;
      return deps.metrics.render();
    },
  );
};
