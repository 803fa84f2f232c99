import type { AppRouter } from '../app-types.js';
import type { AppDeps } from '../app-deps.js';
import type { RouteCatalog } from '../route-spec.js';

/** Routes without auth (only `/health` and documents) and routes behind `authenticate`. */
export interface Routers {
  public: AppRouter;
  protected: AppRouter;
  /** Specs of routes registered through `defineRoute`, rendered at /openapi.json. */
  catalog: RouteCatalog;
}

/** A resource's routes. Modules register on `routers.protected` unless the spec says otherwise. */
export type RouteModule = (routers: Routers, deps: AppDeps) => void;
