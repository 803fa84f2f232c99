import { categoryOf, type AgentCategory } from '../util/agent-category.js';
import { DASHBOARD_AGENT_TYPE, DASHBOARD_RATE_LIMIT } from '../dashboard/dashboard-grants.js';
import type { RateLimitConfig } from '../config/schema.js';

/**
 * A resolved rate-limit policy. Semantics (spec §3 says "60 requests/min with burst 10"):
 *
 * - sustained: at most `pointsPerMinute` requests in a 60 s window;
 * - burst: at most `burstPoints` requests in a `burstWindowSeconds` window, where the window is
 *   the time the sustained rate needs to earn `burst` requests (60 · burst / points_per_minute,
 *   at least 1 s). So "60/min, burst 10" allows 10 requests back to back, then 10 more after
 *   10 s, and never more than 60 in a minute.
 *
 * Both windows are rate-limiter-flexible fixed windows per token `sub` (the same primitive its
 * Redis store offers, so a cluster can share the counters).
 */
export interface RateLimitPolicy {
  /** Which config key (or default) decided: an agent type, a category or "admin". */
  name: string;
  pointsPerMinute: number;
  burstPoints: number;
  burstWindowSeconds: number;
}

/** Spec §3 defaults; `null` = unlimited. DevOps agents count with coding/QA/security. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<AgentCategory | 'admin', RateLimitConfig>> = {
  admin: { points_per_minute: null },
  architect: { points_per_minute: null },
  coding: { points_per_minute: 60, burst: 10 },
  test: { points_per_minute: 60, burst: 10 },
  security: { points_per_minute: 60, burst: 10 },
  devops: { points_per_minute: 60, burst: 10 },
  documentation: { points_per_minute: 30, burst: 5 },
  support: { points_per_minute: 30, burst: 5 },
  default: { points_per_minute: 30, burst: 5 },
};

/** Defaults for single agent types that are not agents (the operator's dashboard). */
const AGENT_TYPE_DEFAULTS: Readonly<Record<string, RateLimitConfig>> = {
  [DASHBOARD_AGENT_TYPE]: DASHBOARD_RATE_LIMIT,
};

/** Turn a config entry into window sizes, or null when it is unlimited. */
export function resolvePolicy(name: string, entry: RateLimitConfig): RateLimitPolicy | null {
  const perMinute = entry.points_per_minute;
  if (perMinute === null) return null;
  const burst = Math.min(entry.burst ?? Math.ceil(perMinute / 6), perMinute);
  const window = Math.max(1, Math.round((60 * burst) / perMinute));
  // A 1 s floor on the window must not lower the sustained rate: allow at least 1 s worth of it.
  const burstPoints = Math.max(burst, Math.ceil((perMinute * window) / 60));
  return { name, pointsPerMinute: perMinute, burstPoints, burstWindowSeconds: window };
}

/**
 * The policy for a token: admin tokens use `rate_limits.admin` (default unlimited); others the
 * entry for their exact agent type (config, else a built-in one such as the dashboard's), else their category, else the spec default of the category.
 *
 * @example policyFor({ agent_type: 'python-specialist', permissions: new Set() }, {}) // 60/min, burst 10
 */
export function policyFor(
  token: { agent_type: string; permissions: ReadonlySet<string> },
  overrides: Readonly<Record<string, RateLimitConfig>>,
): RateLimitPolicy | null {
  if (token.permissions.has('admin')) return resolvePolicy('admin', overrides.admin ?? DEFAULT_RATE_LIMITS.admin);
  const category = categoryOf(token.agent_type);
  const own = overrides[token.agent_type] ?? (Object.hasOwn(AGENT_TYPE_DEFAULTS, token.agent_type) ? AGENT_TYPE_DEFAULTS[token.agent_type] : undefined);
  if (own) return resolvePolicy(token.agent_type, own);
  return resolvePolicy(category, overrides[category] ?? DEFAULT_RATE_LIMITS[category]);
}
