import Koa, { type Middleware, type Next } from 'koa';
import compose from 'koa-compose';
import { Router, type Layer } from '@koa/router';
import type { AppContext, AppState } from './app-types.js';
import type { AppDeps } from './app-deps.js';
import type { RouteModule, Routers } from './routes/routers.js';
import { RouteCatalog } from './route-spec.js';
import { requestContext } from './middleware/request-context.js';
import { errorHandler } from './middleware/error-handler.js';
import { securityHeaders } from './middleware/security-headers.js';
import { jsonBody } from './middleware/json-body.js';
import { authenticate } from './middleware/authenticate.js';
import { scopeGuard } from './middleware/scope-guard.js';
import { notFound } from './middleware/not-found.js';
import { rateLimit } from './middleware/rate-limit.js';
import { auditIntent, auditTrail } from './middleware/audit-trail.js';
import { hostGuard } from './middleware/host-guard.js';
import { AgentRateLimiter } from '../protection/agent-rate-limiter.js';
import { healthRoutes } from './routes/health.js';
import { statusRoutes } from './routes/status.js';
import { metricsRoutes } from './routes/metrics.js';
import { authRoutes } from './routes/auth.js';
import { openApiRoutes } from './routes/openapi.js';
import { agentsRoutes } from './routes/agents.js';
import { resultRoutes } from './routes/results.js';
import { eventRoutes } from './routes/events.js';
import { contextRoutes } from './routes/context.js';
import { issueRoutes } from './routes/issues.js';
import { mcpRoutes } from './routes/mcp.js';
import { leaseRoutes } from './routes/leases.js';
import { gateRoutes } from './routes/gates.js';
import { eventStreamRoutes } from './routes/event-stream.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { createServices } from '../services/index.js';

/** Every resource's routes, in one list, so adding a resource is one line here. */
const ROUTE_MODULES: RouteModule[] = [
  healthRoutes,
  statusRoutes,
  metricsRoutes,
  authRoutes,
  openApiRoutes,
  agentsRoutes,
  resultRoutes,
  eventStreamRoutes,
  eventRoutes,
  contextRoutes,
  issueRoutes,
  leaseRoutes,
  gateRoutes,
  dashboardRoutes,
  mcpRoutes,
];

/** Record the matched route template (for metrics and audit) before anything can fail. */
function recordRoute(ctx: AppContext & { matched?: Layer[] }, next: Next): Promise<void> {
  const method = ctx.method.toUpperCase();
  const route = (ctx.matched ?? []).findLast((layer) => layer.methods.includes(method));
  ctx.state.route = route ? String(route.path) : ctx.path;
  return next();
}

/**
 * The one place where middleware order is defined:
 * request id + timing → audit outcome line → error handler → Host allowlist + URL limit →
 * security headers/CORS → 404/405 (401 first on a protected path without a valid token) → router:
 * public routes (route recorded → handler) and protected routes (route recorded → token verified
 * → project/issue scope → rate limit counted → JSON body parsed → audit intent line → handler).
 * Bodies are parsed only after authentication and rate limiting, so an anonymous or throttled
 * client cannot make the sidecar parse 10 MiB of JSON; the audit outcome line sits outside the
 * error handler so it records the final status of every answer.
 */
export function createApp(deps: AppDeps, extraModules: RouteModule[] = []): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: false });
  app.on('error', (err: Error) => deps.logger.warn({ err }, 'connection error'));
  const routers = buildRouters(deps, extraModules);

  app.use(requestContext(deps.metrics, deps.requestStats));
  app.use(auditTrail(deps.audit, deps.logger));
  app.use(errorHandler(deps.logger));
  app.use(hostGuard({ host: deps.config.host, allowed_hosts: deps.config.allowed_hosts, maxUrlBytes: deps.config.http.max_url_bytes }));
  app.use(securityHeaders());
  app.use(notFound({ tokens: deps.tokens, isPublic: (layer) => layer.stack.includes(routers.publicGuard) }));
  app.use(routers.router.routes());
  return app;
}

/**
 * The router with every route module registered, and the guards routes run before their
 * handlers (exported so tests can compare the router's layers with the OpenAPI catalog).
 */
export function buildRouters(deps: AppDeps, extraModules: RouteModule[] = []): Routers {
  const limiter = deps.rateLimiter ?? new AgentRateLimiter(deps.config.rate_limits);
  const routers: Routers = {
    router: new Router<AppState>({ sensitive: false, strict: false }),
    publicGuard: recordRoute,
    protectedGuard: compose<AppContext>([
      recordRoute,
      authenticate(deps.tokens),
      scopeGuard(deps.config.project_id),
      rateLimit(limiter),
      jsonBody(deps.config.body_limit_bytes),
      auditIntent(deps.audit),
    ]) as Middleware<AppState>,
    catalog: new RouteCatalog(),
    services: createServices(deps),
  };
  for (const register of [...ROUTE_MODULES, ...extraModules]) register(routers, deps);
  return routers;
}
