import type { Middleware } from 'koa';
import type { AppRouter, AppState } from '../app-types.js';
import type { AppDeps } from '../app-deps.js';
import type { RouteCatalog } from '../route-spec.js';
import type { Services } from '../../services/index.js';

/**
 * Where routes are registered: one router for every route (a request is matched once), and the
 * guard each kind of route runs before its handler.
 */
export interface Routers {
  router: AppRouter;
  /** Before a public route (only `/health` and documents): the route is recorded. */
  publicGuard: Middleware<AppState>;
  /**
   * Before every other route: route recorded → token verified → project scope (and issue scope
   * of an `:issue_id` parameter) → rate limit counted → JSON body parsed → audit intent line. One pre-composed middleware, so a request pays for one router
   * layer instead of one per step.
   */
  protectedGuard: Middleware<AppState>;
  /** Specs of routes registered through `defineRoute`, rendered at /openapi.json. */
  catalog: RouteCatalog;
  /** The domain services handlers call: a route is parse → call one service → answer. */
  services: Services;
}

/** A resource's routes. Modules register through `defineRoute`, which picks the guard. */
export type RouteModule = (routers: Routers, deps: AppDeps) => void;
