import { InvalidEventError } from '../errors/index.js';
import type { PublishInput } from './event-bus.js';
import type { AppendRecord } from './event-log.js';
import { EVENT_NAME_PATTERN } from './event-names.js';

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Check a publish and turn it into the record every log stores. Throws `InvalidEventError`
 * (400 EVT_002). These are the bus's own invariants, so they hold for in-process publishers
 * (context watcher, results) as well as for HTTP.
 */
export function toAppendRecord(input: PublishInput, maxEventBytes: number): AppendRecord {
  const type = input.event_type;
  if (typeof type !== 'string' || !EVENT_NAME_PATTERN.test(type)) {
    throw new InvalidEventError('event_type must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$ (and is not *)', { event_type: type });
  }
  const topic = input.topic ?? 'coordination';
  if (typeof topic !== 'string' || !EVENT_NAME_PATTERN.test(topic)) {
    throw new InvalidEventError('topic must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$', { topic });
  }
  const publisher = input.publisher;
  if (typeof publisher !== 'string' || publisher.length === 0 || publisher.length > 256 || CONTROL_CHARS.test(publisher)) {
    throw new InvalidEventError('publisher must be 1..256 printable characters');
  }
  const correlationId = input.correlation_id ?? null;
  if (
    correlationId !== null &&
    (typeof correlationId !== 'string' || correlationId.length === 0 || correlationId.length > 256 || CONTROL_CHARS.test(correlationId))
  ) {
    throw new InvalidEventError('correlation_id must be 1..256 printable characters');
  }
  const ttl = input.ttl_seconds ?? 86_400;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) {
    throw new InvalidEventError('ttl_seconds must be an integer in 1..86400', { ttl_seconds: ttl });
  }
  const raw = input.data ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidEventError('data must be a JSON object');
  }
  let dataJson: string;
  try {
    dataJson = JSON.stringify(raw);
  } catch {
    throw new InvalidEventError('data must be serialisable as JSON');
  }
  const size = Buffer.byteLength(dataJson, 'utf8');
  if (size > maxEventBytes) {
    throw new InvalidEventError(`data is ${size} bytes; the limit is ${maxEventBytes}`, { size, limit: maxEventBytes });
  }
  // Keep the JSON round-trip, not the caller's object: later mutation by the caller cannot
  // change the event, and what waiters see now is exactly what a restart replays.
  const data = JSON.parse(dataJson) as Record<string, unknown>;
  return { type, topic, publisher, correlationId, ttlSeconds: ttl, dataJson, data };
}
