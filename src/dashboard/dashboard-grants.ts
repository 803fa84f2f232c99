import type { Permission } from '../auth/permissions.js';

/**
 * Who a dashboard token is. Its own agent type gives it its own rate limit (a page that follows
 * 119 agents needs more than an agent's 30–60 requests/min, and must not need `admin`);
 * `rate_limits["operator-dashboard"]` in the config overrides it like any agent type.
 */
export const DASHBOARD_AGENT_TYPE = 'operator-dashboard';

/** What the page reads: events (stream, gates), results, issues (`read_context`). */
export const DASHBOARD_READ_PERMISSIONS: readonly Permission[] = ['read_context', 'read_results', 'subscribe_events'];

/** Read, plus the agents panel and its kill button. Never `admin`. */
export const DASHBOARD_MANAGE_PERMISSIONS: readonly Permission[] = [...DASHBOARD_READ_PERMISSIONS, 'manage_agents'];

/** Default rate limit of a dashboard token (a refresh of every panel every 5 s fits several times). */
export const DASHBOARD_RATE_LIMIT = { points_per_minute: 600, burst: 120 } as const;
