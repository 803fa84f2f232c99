import type { DeadLetterReason } from './event-bus.js';

/**
 * The journal is JSON lines, one record per line, appended in this order of meaning:
 *
 * - `h` header (first line of every journal file): epoch and the highest seq minted so far, so
 *   ids keep increasing even when compaction left no event behind.
 * - `e` an event (compact keys; the expiry is recomputed from `at` + `ttl` at open so a lowered
 *   retention applies to old events too).
 * - `d` these events were delivered to a waiter (they will never become dead letters).
 * - `x` this event left the buffer undelivered and is now a dead letter.
 * - `r` these dead letters were redriven or purged.
 * - `c` clean close (informational: tells a crash from a shutdown in the logs).
 */
export type JournalRecord = HeaderRecord | EventRecord | DeliveredRecord | DeadLetterRecord | RemovedRecord | CloseRecord;

export interface HeaderRecord {
  t: 'h';
  v: 1;
  epoch: string;
  head: number;
  at: number;
}
export interface EventRecord {
  t: 'e';
  s: number;
  /** Publish time, epoch ms. */
  at: number;
  ttl: number;
  ty: string;
  tp: string;
  pb: string;
  c: string | null;
  d: Record<string, unknown>;
}
export interface DeliveredRecord {
  t: 'd';
  s: number[];
}
export interface DeadLetterRecord {
  t: 'x';
  s: number;
  r: DeadLetterReason;
  at: number;
}
export interface RemovedRecord {
  t: 'r';
  s: number[];
}
export interface CloseRecord {
  t: 'c';
  at: number;
}

export function recordLine(record: JournalRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** Shape check of one parsed line; anything else counts as a corrupt line. */
export function asRecord(value: unknown): JournalRecord | null {
  if (!value || typeof value !== 'object') return null;
  const r = value as Record<string, unknown>;
  const int = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  const ints = (v: unknown): boolean => Array.isArray(v) && v.every(int);
  switch (r.t) {
    case 'h':
      return typeof r.epoch === 'string' && int(r.head) ? (r as unknown as HeaderRecord) : null;
    case 'e':
      return int(r.s) &&
        int(r.at) &&
        int(r.ttl) &&
        typeof r.ty === 'string' &&
        typeof r.tp === 'string' &&
        typeof r.pb === 'string' &&
        (r.c === null || typeof r.c === 'string') &&
        !!r.d &&
        typeof r.d === 'object' &&
        !Array.isArray(r.d)
        ? (r as unknown as EventRecord)
        : null;
    case 'd':
    case 'r':
      return ints(r.s) ? (r as unknown as DeliveredRecord | RemovedRecord) : null;
    case 'x':
      return int(r.s) && (r.r === 'expired' || r.r === 'evicted') && int(r.at) ? (r as unknown as DeadLetterRecord) : null;
    case 'c':
      return r as unknown as CloseRecord;
    default:
      return null;
  }
}
