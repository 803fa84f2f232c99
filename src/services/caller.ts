import type { Permission } from '../auth/permissions.js';

/**
 * Who is calling a domain service: the verified claims of a token, as a plain object. Every door
 * (an HTTP route, an MCP tool, an in-process caller) hands the same shape, so a service never
 * sees a Koa context and applies the same permissions and scopes whichever door was used.
 * `AuthInfo` from the token service is a `Caller`.
 *
 * @example
 * const caller: Caller = { sub: 'qa-1', agent_type: 'test-engineer', project_id: 'p', permissions: new Set(['read_results']), jti: 'j', iat, exp };
 * await services.results.list(caller, { limit: 10 });
 */
export interface Caller {
  /** The agent id (token `sub`). */
  readonly sub: string;
  readonly agent_type: string;
  readonly project_id: string;
  readonly permissions: ReadonlySet<Permission>;
  /** Present when the token is limited to one issue. */
  readonly issue_id?: string;
  readonly jti: string;
  /** Issued at / expires at, unix seconds. */
  readonly iat: number;
  readonly exp: number;
}
