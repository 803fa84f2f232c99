import type { Next } from 'koa';
import type { Layer } from '@koa/router';
import { MethodNotAllowedError, NotFoundError } from '../../errors/index.js';
import type { TokenService } from '../../auth/token-service.js';
import type { AppContext } from '../app-types.js';
import { verifyBearer } from './authenticate.js';

export interface NotFoundOptions {
  tokens: TokenService;
  /** Whether a route layer is public (its guard skips authentication). */
  isPublic: (layer: Layer) => boolean;
}

/**
 * Last in the chain: no route matched path and method. A path that some route knows under
 * another method is a 405 with `Allow`, but only to a caller with a valid token when that path
 * is protected: without one it is the 401 every protected route gives, so an anonymous client
 * cannot map the API by methods (issue 13). Anything else a 404. All are the contract's JSON.
 */
export function notFound(options: NotFoundOptions) {
  return async function notFoundMiddleware(ctx: AppContext, next: Next): Promise<void> {
    await next();
    if (ctx.body !== undefined || ctx.status !== 404) return;
    const matched = ((ctx as unknown as { matched?: Layer[] }).matched ?? []).filter((layer) => layer.methods.length > 0);
    if (matched.length > 0) {
      if (matched.some((layer) => !options.isPublic(layer))) await verifyBearer(ctx, options.tokens);
      const allowed = [...new Set(matched.flatMap((layer) => layer.methods))].sort();
      throw new MethodNotAllowedError(allowed);
    }
    throw new NotFoundError(`No route for ${ctx.method} ${ctx.path}`);
  };
}
