import { InvalidEventError } from '../errors/index.js';
import type { BusEvent } from './event-bus.js';

/** One `field:value` condition; `path` is the field split on dots (`result.status`). */
export interface FieldCondition {
  readonly path: readonly string[];
  readonly value: string;
}

/** All conditions must hold. Empty = match everything. */
export type EventFilter = readonly FieldCondition[];

const MAX_FILTER_LENGTH = 2048;
const MAX_CONDITIONS = 16;
const FIELD_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const TOP_LEVEL_FIELDS = new Set(['event_id', 'event_type', 'publisher', 'topic', 'timestamp', 'correlation_id', 'ttl_seconds']);

/**
 * Parse `field:value[,field:value]` (spec §4). The value is everything after the first colon, so
 * values may contain colons but not commas. Throws `InvalidEventError` (400 EVT_002) on bad syntax.
 *
 * @example parseFilter('issue_id:42,status:success')
 */
export function parseFilter(raw: string | undefined): EventFilter {
  if (raw === undefined || raw === '') return [];
  if (raw.length > MAX_FILTER_LENGTH) {
    throw new InvalidEventError(`Filter is longer than ${MAX_FILTER_LENGTH} characters`, { filter_length: raw.length });
  }
  const parts = raw.split(',');
  if (parts.length > MAX_CONDITIONS) {
    throw new InvalidEventError(`Filter has more than ${MAX_CONDITIONS} conditions`, { conditions: parts.length });
  }
  return parts.map((part) => {
    const colon = part.indexOf(':');
    const field = colon < 0 ? '' : part.slice(0, colon).trim();
    const value = colon < 0 ? '' : part.slice(colon + 1).trim();
    if (colon < 0 || !FIELD_PATTERN.test(field) || value === '') {
      throw new InvalidEventError(`Invalid filter '${part}': expected field:value[,field:value]`, { filter: raw });
    }
    return { path: field.split('.'), value };
  });
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    // Own properties only: a filter on `__proto__` or `constructor` must not reach the prototype.
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function scalarEquals(actual: unknown, expected: string): boolean {
  if (actual === null) return expected === 'null';
  return (typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean') && String(actual) === expected;
}

/** True when every condition holds: the field is looked up in `data` first, then at top level. */
export function matchesFilter(event: BusEvent, filter: EventFilter): boolean {
  for (const cond of filter) {
    let actual = lookup(event.data, cond.path);
    if (actual === undefined && cond.path.length === 1 && TOP_LEVEL_FIELDS.has(cond.path[0]!)) {
      actual = (event as unknown as Record<string, unknown>)[cond.path[0]!];
    }
    if (!scalarEquals(actual, cond.value)) return false;
  }
  return true;
}
