import { InvalidEventError } from '../errors/index.js';
import type { BusEvent } from './event-bus.js';
import { matchesFilter, type EventFilter } from './event-filter.js';
import { EVENT_NAME_PATTERN } from './event-names.js';

/** Which events a wait or a list wants; checked the same way against buffered and new events. */
export interface Selection {
  readonly eventType: string;
  readonly topic: string | undefined;
  readonly filter: EventFilter;
  readonly issueScope: string | undefined;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const MAX_JITTER_MS = 250;

export function matchesSelection(s: Selection, e: BusEvent): boolean {
  return (
    (s.eventType === '*' || s.eventType === e.event_type) &&
    (s.topic === undefined || s.topic === e.topic) &&
    (s.filter.length === 0 || matchesFilter(e, s.filter)) &&
    (s.issueScope === undefined || inIssueScope(e.data, s.issueScope))
  );
}

/**
 * The issue scope of events (spec §2), the one copy of the rule for publishing and reading: an
 * event whose `data.issue_id` names another issue is outside a token limited to `issue`; an
 * event about no issue is inside every scope.
 */
export function inIssueScope(data: Record<string, unknown>, issue: string): boolean {
  const own = Object.hasOwn(data, 'issue_id') ? data.issue_id : undefined;
  return own === undefined || own === null || ((typeof own === 'string' || typeof own === 'number') && String(own) === issue);
}

export function checkWaitType(type: string): string {
  if (type === '*' || (typeof type === 'string' && EVENT_NAME_PATTERN.test(type))) return type;
  throw new InvalidEventError('event_type must be * or match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$', { event_type: type });
}

export function checkTopic(topic: string | undefined): string | undefined {
  if (topic === undefined || topic === '') return undefined;
  if (EVENT_NAME_PATTERN.test(topic)) return topic;
  throw new InvalidEventError('topic must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$', { topic });
}

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isFinite(limit)) throw new InvalidEventError('limit must be a number in 1..1000');
  return Math.min(Math.max(1, Math.floor(limit)), MAX_LIMIT);
}

/** Clamp a wait timeout to [0, max]; absent means the default. */
export function clampTimeout(requested: number | undefined, defaultMs: number, maxMs: number): number {
  const t = requested ?? defaultMs;
  if (typeof t !== 'number' || Number.isNaN(t)) throw new InvalidEventError('timeout must be a number of milliseconds');
  return Math.min(Math.max(0, Math.floor(t)), maxMs);
}

/** Shorten by up to 2% (≤ 250 ms) so waits started together do not all reconnect together. */
export function jitter(ms: number): number {
  return ms - Math.floor(Math.random() * Math.min(MAX_JITTER_MS, ms * 0.02));
}
