import { randomBytes } from 'node:crypto';

/**
 * A new agent id: `agt-<time base36>-<10 hex>`. Sortable by creation time, path-safe
 * (matches the id pattern of spec §4), unguessable enough that ids are not enumerable.
 */
export function newAgentId(now = Date.now()): string {
  return `agt-${now.toString(36)}-${randomBytes(5).toString('hex')}`;
}
