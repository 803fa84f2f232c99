import type { Next } from 'koa';
import { MisdirectedRequestError, UriTooLongError } from '../../errors/index.js';
import { allowlist, hostAllowed } from '../../protection/host-allowlist.js';
import type { AppContext } from '../app-types.js';

/**
 * Before any route (even /health): refuses a `Host` header that is not one of this sidecar's
 * names (421 REQ_004, DNS rebinding) and a URL longer than the limit (414 REQ_005).
 */
export function hostGuard(config: { host: string; allowed_hosts: readonly string[]; maxUrlBytes: number }) {
  const names = allowlist(config);
  return async function hostGuardMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const host = ctx.req.headers.host;
    if (!hostAllowed(names, host)) throw new MisdirectedRequestError(String(host ?? '').slice(0, 256));
    if (Buffer.byteLength(ctx.req.url ?? '') > config.maxUrlBytes) throw new UriTooLongError(config.maxUrlBytes);
    await next();
  };
}
