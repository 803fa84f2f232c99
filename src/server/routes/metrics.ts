import type { RouteModule } from './routers.js';

/** `GET /metrics`: Prometheus text exposition. Behind auth like every route but /health. */
export const metricsRoutes: RouteModule = (routers, deps) => {
  routers.protected.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.contentType;
    ctx.body = await deps.metrics.render();
  });
};
