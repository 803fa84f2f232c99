import { z } from 'zod';
import type { Permission } from '../auth/permissions.js';
import type { AppRouterContext, AuditLevel } from './app-types.js';
import type { Routers } from './routes/routers.js';
import { parseInput } from './validate.js';
import { authOf, requirePermission } from './permissions.js';

type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** One route: its HTTP shape, its input schemas (validation AND documentation) and its answers. */
export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: HttpMethod;
  /** Koa path with `:params`, e.g. `/api/results/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** `public` routes skip authentication (only /health and documents). Default: token. */
  auth?: 'public' | 'token';
  /**
   * Checked before the input is parsed (after authentication), so a caller without it gets 403
   * before any 400; the service the handler calls applies the same rule for every other door.
   */
  permission?: Permission;
  /** Audit level of a mutating route (see `AuditLevel`); default `control`. */
  audit?: AuditLevel;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Answers: status → description, and for every success its body schema from `src/contract/`
   * (`contentType` when it is not JSON). Error answers share the contract's error body.
   */
  responses: Record<number, RouteResponse>;
}

export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
  /** Default `application/json`. */
  contentType?: string;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/** The specs of every route an app registered, for `/openapi.json`. */
export class RouteCatalog {
  readonly specs: Array<RouteSpec<z.ZodType, z.ZodType, z.ZodType>> = [];
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * Register a route from its spec: input is validated with the same zod schemas that document it
 * in OpenAPI (one source of truth), the permission is checked, and the handler gets typed input.
 * A handler's return value becomes the body (status 200 unless the handler set another).
 *
 * @example
 * defineRoute(routers, { method: 'get', path: '/api/results/:id', summary: 'One result', tag: 'results',
 *   permission: 'read_results', params: z.object({ id: safeId }), responses: { 200: { description: 'The envelope' } } },
 *   async (ctx, { params }) => store.get(params.id))
 */
export function defineRoute<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(
  routers: Routers,
  spec: RouteSpec<P, Q, B>,
  handler: (ctx: AppRouterContext, input: RouteInput<Out<P>, Out<Q>, Out<B>>) => unknown,
): void {
  routers.catalog.specs.push(spec);
  const guard = spec.auth === 'public' ? routers.publicGuard : routers.protectedGuard;
  const level: AuditLevel = spec.audit ?? 'control';
  const markLevel = (ctx: AppRouterContext, next: () => Promise<unknown>): Promise<unknown> => {
    ctx.state.auditLevel = level;
    return next();
  };
  routers.router[spec.method](spec.path, markLevel, guard, async (ctx) => {
    if (spec.permission) requirePermission(authOf(ctx), spec.permission);
    const input = {
      params: (spec.params ? parseInput(spec.params, ctx.params, 'params') : undefined) as Out<P>,
      query: (spec.query ? parseInput(spec.query, ctx.query, 'query') : undefined) as Out<Q>,
      body: (spec.body ? parseInput(spec.body, ctx.request.body ?? {}, 'body') : undefined) as Out<B>,
    };
    const result = await handler(ctx, input);
    if (result !== undefined) ctx.body = result;
  });
}
