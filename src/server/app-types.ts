import type { AuditRecord } from '../audit/audit-entry.js';
import type { ParameterizedContext } from 'koa';
import type { Router, RouterContext } from '@koa/router';
import type { AuthInfo } from '../auth/token-service.js';

/** Per-request state every middleware and handler can rely on. */
export interface AppState {
  requestId: string;
  /** Set by `authenticate` on every route but the public ones. */
  auth?: AuthInfo;
  /** Route template that matched (e.g. `/api/results/:id`), for metrics and audit. */
  route?: string;
  /** Who is acting, computed once by the audit intent line and reused by the outcome line. */
  auditActor?: AuditActor;
  /** The route's audit level (`RouteSpec.audit`): `data` writes get one outcome line, no intent line. */
  auditLevel?: AuditLevel;
}

/**
 * How a mutating route is audited, the way Kubernetes audit policies pick a level per resource:
 * `control` (spawn, kill, tokens, dead letters, issues, gates, …): an intent line that must be
 * written before the handler runs (fail closed) and an outcome line; `data` (publish, store a
 * result, renew a lease: the high-rate writes agents make all day): one outcome line in the next
 * batched write, refused at once while the audit log is failing (still fail closed).
 */
export type AuditLevel = 'control' | 'data';

/** The actor fields of an audit record (see auditActor). */
export type AuditActor = Pick<AuditRecord, 'request_id' | 'sub' | 'jti' | 'agent_type' | 'project_id' | 'remote'>;

export type AppContext = ParameterizedContext<AppState>;
export type AppRouter = Router<AppState>;
export type AppRouterContext = RouterContext<AppState>;
