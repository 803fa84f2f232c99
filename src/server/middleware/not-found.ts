import type { Next } from 'koa';
import type { Layer } from '@koa/router';
import { MethodNotAllowedError, NotFoundError } from '../../errors/index.js';
import type { AppContext } from '../app-types.js';

/**
 * Last in the chain: no route matched path and method. A path that some route knows under
 * another method is a 405 with `Allow`; anything else a 404. Both are the contract's JSON.
 */
export function notFound() {
  return async function notFoundMiddleware(ctx: AppContext, next: Next): Promise<void> {
    await next();
    if (ctx.body !== undefined || ctx.status !== 404) return;
    const matched = ((ctx as unknown as { matched?: Layer[] }).matched ?? []).filter((layer) => layer.methods.length > 0);
    if (matched.length > 0) {
      const allowed = [...new Set(matched.flatMap((layer) => layer.methods))].sort();
      throw new MethodNotAllowedError(allowed);
    }
    throw new NotFoundError(`No route for ${ctx.method} ${ctx.path}`);
  };
}
