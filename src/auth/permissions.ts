import { categoryOf, type AgentCategory } from '../util/agent-category.js';

export const PERMISSIONS = [
  'read_context',
  'read_project_context',
  'write_results',
  'read_results',
  'publish_events',
  'subscribe_events',
  'spawn_agents',
  'manage_agents',
  /** Create, update and delete issues (spec §6). */
  'manage_issues',
  'admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

const WORKER: Permission[] = ['read_context', 'write_results', 'read_results', 'publish_events', 'subscribe_events'];

/** Default grants by category (spec §2). */
const DEFAULT_GRANTS: Record<AgentCategory, Permission[]> = {
  architect: PERMISSIONS.filter((p) => p !== 'admin'),
  coding: WORKER,
  test: WORKER,
  security: WORKER,
  devops: WORKER,
  documentation: WORKER.filter((p) => p !== 'publish_events'),
  support: WORKER.filter((p) => p !== 'publish_events'),
  default: WORKER.filter((p) => p !== 'publish_events'),
};

/**
 * Permissions an agent type gets by default. `overrides` (config `permissions`) is keyed by
 * exact agent type first, then by category.
 */
export function defaultPermissionsFor(agentType: string, overrides: Readonly<Record<string, readonly string[]>> = {}): Permission[] {
  const own = overrides[agentType] ?? overrides[categoryOf(agentType)];
  if (own) return own.filter(isPermission);
  return [...DEFAULT_GRANTS[categoryOf(agentType)]];
}

/** `admin` implies every permission. */
export function hasPermission(granted: ReadonlySet<string> | readonly string[], wanted: Permission): boolean {
  const has = (p: string): boolean => (granted instanceof Set ? granted.has(p) : (granted as readonly string[]).includes(p));
  return has('admin') || has(wanted);
}
