import type { BusEvent } from '../event-bus.js';
import { formatEventId } from '../event-id.js';
import type { AppendRecord, LogEntry } from '../event-log.js';

/** A stream entry as Redis answers it: `[id, [field, value, ...]]`. */
export type RawEntry = [string, string[]];

/** An event as the Redis log holds it in memory: the wire event plus what the log needs. */
export interface RedisLogEntry extends LogEntry {
  readonly seq: number;
  /** Epoch ms after which the event is gone (TTL capped by the retention). */
  readonly expiresAt: number;
  delivered: boolean;
}

/** The stream fields of one event: `at`, `x` (expiry) and `e`, the rest as one JSON text. */
export function encodePayload(r: AppendRecord): string {
  // Built by hand so the (possibly large) data JSON is not serialised a second time.
  return (
    `{"ty":${JSON.stringify(r.type)},"tp":${JSON.stringify(r.topic)},"pb":${JSON.stringify(r.publisher)},` +
    `"c":${JSON.stringify(r.correlationId)},"ttl":${r.ttlSeconds},"d":${r.dataJson}}`
  );
}

interface Payload {
  ty: string;
  tp: string;
  pb: string;
  c: string | null;
  ttl: number;
  d: Record<string, unknown>;
}

/** `5-0` → 5. */
export function seqOfId(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** A raw reply entry `[id, [field, value, ...], delivered?]` (scripts) → an entry. */
export function decodeRaw(epoch: string, raw: unknown): RedisLogEntry {
  const [id, fields, delivered] = raw as [string, string[], number | undefined];
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!;
  return decodeFields(epoch, id, map, delivered === 1);
}

export function decodeFields(epoch: string, id: string, fields: Record<string, string>, delivered: boolean): RedisLogEntry {
  const seq = seqOfId(id);
  const p = JSON.parse(fields.e ?? '{}') as Payload;
  const at = Number(fields.at);
  const event: BusEvent = {
    event_id: formatEventId(epoch, seq),
    event_type: p.ty,
    publisher: p.pb,
    topic: p.tp,
    data: p.d,
    timestamp: new Date(at).toISOString(),
    correlation_id: p.c,
    ttl_seconds: p.ttl,
  };
  return { seq, event, expiresAt: Number(fields.x), delivered };
}

/** The entry of a record this process appended (no round trip to decode what it just sent). */
export function entryOfRecord(epoch: string, seq: number, r: AppendRecord, at: number, expiresAt: number): RedisLogEntry {
  const event: BusEvent = {
    event_id: formatEventId(epoch, seq),
    event_type: r.type,
    publisher: r.publisher,
    topic: r.topic,
    data: r.data,
    timestamp: new Date(at).toISOString(),
    correlation_id: r.correlationId,
    ttl_seconds: r.ttlSeconds,
  };
  return { seq, event, expiresAt, delivered: false };
}
