/**
 * Event types only the sidecar itself publishes (issue 15): agents wait on them to learn that
 * another agent started or finished, that files or an issue changed, or that a lease or gate
 * moved, so a forged one would mislead every waiter. Through the API only an `admin` token may
 * publish them (403 AUTH_003 otherwise). Listed in the README under "Reserved event types".
 */
export const RESERVED_EVENT_TYPES = ['agent_spawned', 'agent_completed', 'agent_failed', 'files_changed', 'issue_updated'] as const;

/** Families reserved by prefix: `lease_acquired`, `lease_released`, `gate_opened`, … */
export const RESERVED_EVENT_PREFIXES = ['lease_', 'gate_'] as const;

const EXACT = new Set<string>(RESERVED_EVENT_TYPES);

/** Compared case-insensitively, so `Agent_Completed` cannot pass for a lookalike either. */
export function isReservedEventType(eventType: string): boolean {
  const name = eventType.toLowerCase();
  return EXACT.has(name) || RESERVED_EVENT_PREFIXES.some((prefix) => name.startsWith(prefix));
}
