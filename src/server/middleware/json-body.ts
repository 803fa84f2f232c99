import type { Next } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { UnsupportedMediaTypeError, ValidationError } from '../../errors/index.js';
import type { AppContext } from '../app-types.js';

const MAX_DEPTH = 64;

/** Depth of a parsed JSON value, iteratively (a recursive walk could overflow the stack). */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(node as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * JSON bodies only (415 otherwise: a body parser would silently turn text/plain into `{}`),
 * bounded size (413) and bounded nesting (400). Requests without a body pass through.
 */
export function jsonBody(limitBytes: number) {
  const parse = bodyParser({
    enableTypes: ['json'],
    // Every `application/*+json` the content-type check below lets through is parsed as JSON.
    extendTypes: { json: ['application/json', '+json'] },
    jsonLimit: `${limitBytes}b`,
    jsonStrict: true,
    // Methods are decided here (any body but on GET/HEAD), not by the parser's default list.
    parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  });
  return async function jsonBodyMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const hasBody = ctx.request.length !== undefined ? ctx.request.length > 0 : ctx.get('Transfer-Encoding') !== '';
    if (!hasBody || ctx.method === 'GET' || ctx.method === 'HEAD') {
      ctx.request.body = undefined;
      await next();
      return;
    }
    if (!ctx.request.is('application/json', '+json')) throw new UnsupportedMediaTypeError();
    await parse(ctx, () => Promise.resolve());
    if (jsonDepthExceeds(ctx.request.body, MAX_DEPTH)) {
      throw new ValidationError(`Request body nests deeper than ${MAX_DEPTH} levels`);
    }
    await next();
  };
}
