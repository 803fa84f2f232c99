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
}

/** The actor fields of an audit record (see auditActor). */
export type AuditActor = Pick<AuditRecord, 'request_id' | 'sub' | 'jti' | 'agent_type' | 'project_id' | 'remote'>;

export type AppContext = ParameterizedContext<AppState>;
export type AppRouter = Router<AppState>;
export type AppRouterContext = RouterContext<AppState>;
