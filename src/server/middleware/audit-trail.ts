import type { Next } from 'koa';
import type { Logger } from 'pino';
import type { AuditSink } from '../../audit/audit-log.js';
import { outcomeOfStatus } from '../../audit/audit-entry.js';
import { AuditUnavailableError } from '../../errors/index.js';
import type { AppContext, AuditActor } from '../app-types.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/**
 * Security refusals are audited whatever the method: auth (401, 403), and the requests refused
 * before authentication could run (408 slow, 414 long URL, 421 foreign Host, 431 big headers).
 * Refusals that never reach Koa are recorded by the HTTP server (see `createHttpServer`).
 */
const SECURITY_STATUSES = new Set([401, 403, 408, 414, 421, 431]);

/**
 * Who is acting in this request, for an audit record: request id, token claims (never the token)
 * and the client address.
 *
 * @example await deps.audit.record({ ...auditActor(ctx), action: 'agent.spawn', resource: `agent:${id}`, outcome: 'success' })
 */
export function auditActor(ctx: AppContext): AuditActor {
  // The intent line (after authentication) computes it; the outcome line reuses it.
  if (ctx.state.auditActor && ctx.state.auth) return ctx.state.auditActor;
  const auth = ctx.state.auth;
  const actor: AuditActor = {
    request_id: ctx.state.requestId,
    sub: auth?.sub ?? null,
    jti: auth?.jti ?? null,
    agent_type: auth?.agent_type ?? null,
    project_id: auth?.project_id ?? null,
    remote: ctx.request.ip,
  };
  if (auth) ctx.state.auditActor = actor;
  return actor;
}

function actionOf(ctx: AppContext): string {
  return `${ctx.method} ${ctx.state.route ?? '(unmatched)'}`;
}

/**
 * Registered right inside request-context, outside the error handler, so it sees the final
 * status: one outcome line for every mutating request and every 401/403/421, whatever the route.
 * The handler already ran (or was refused), so a failure to write this line cannot undo anything:
 * it is logged (the answer does not wait for it), and the `intent` line written before the handler stays as the record of the
 * attempt. The intent line is what fails closed (see `auditIntent`).
 */
export function auditTrail(audit: AuditSink, logger: Logger) {
  return async function auditTrailMiddleware(ctx: AppContext, next: Next): Promise<void> {
    await next();
    if (!MUTATING.has(ctx.method) && !SECURITY_STATUSES.has(ctx.status)) return;
    const body = ctx.body as { code?: unknown } | undefined;
    const code = ctx.status >= 400 && body && typeof body === 'object' && typeof body.code === 'string' ? body.code : undefined;
    // Not awaited, and deferred: the answer does not depend on it, and it shares a write with
    // the next line (at the latest one turn of the event loop later).
    audit
      .record(
        {
          ...auditActor(ctx),
          action: actionOf(ctx),
          resource: ctx.path,
          outcome: outcomeOfStatus(ctx.status),
          status: ctx.status,
          ...(code ? { code } : {}),
        },
        { deferred: true },
      )
      .catch((err: unknown) => logger.error({ err, request_id: ctx.state.requestId }, 'audit log write failed (outcome line)'));
  };
}

/**
 * Last before the handler on the protected router: a mutating request's `intent` line must be
 * written before the handler may act. If it cannot be written the request is refused (507 STR_001
 * on a full disk, 503 AUD_001 otherwise) and nothing is performed unaudited.
 */
export function auditIntent(audit: AuditSink) {
  return async function auditIntentMiddleware(ctx: AppContext, next: Next): Promise<void> {
    if (MUTATING.has(ctx.method)) {
      if (ctx.state.auditLevel === 'data') {
        // No intent line, but never an unaudited write: while the log fails, data writes are refused too.
        if (audit.health() !== 'ok') throw new AuditUnavailableError();
      } else {
        await audit.record({ ...auditActor(ctx), action: actionOf(ctx), resource: ctx.path, outcome: 'intent', status: null });
      }
    }
    await next();
  };
}
