import type { Next } from 'koa';
import type { AppContext } from '../app-types.js';
import { BASE_SECURITY_HEADERS } from '../contract-error.js';

const LOCAL_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * Security headers on every answer (spec §5) and CORS for local dashboards only: an origin is
 * echoed back only when it is http://localhost:* or http://127.0.0.1:*, never with credentials.
 */
export function securityHeaders() {
  return async function securityHeadersMiddleware(ctx: AppContext, next: Next): Promise<void> {
    ctx.set(BASE_SECURITY_HEADERS);
    const origin = ctx.get('Origin');
    if (origin && LOCAL_ORIGIN.test(origin)) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Vary', 'Origin');
      if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
        ctx.set('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
        ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Request-Id');
        ctx.set('Access-Control-Max-Age', '600');
        ctx.status = 204;
        return;
      }
    }
    await next();
  };
}
