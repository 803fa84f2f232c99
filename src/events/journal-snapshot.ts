import type { DeadLetterEntry } from './dead-letter-queue.js';
import { formatEventId } from './event-id.js';
import type { StoredEvent } from './event-ring.js';
import { recordLine, type EventRecord } from './journal-records.js';
import type { ReplayState } from './journal-replay.js';

/**
 * The journal as a snapshot of what is still needed (compaction): header (epoch, head), dead
 * letters, live events and their delivered flags. Lines are reused as stored, never re-serialised.
 */
export function journalSnapshot(
  header: { epoch: string; head: number; at: number },
  deadLetters: Iterable<DeadLetterEntry>,
  live: Iterable<StoredEvent>,
): Buffer {
  const parts: Buffer[] = [Buffer.from(recordLine({ t: 'h', v: 1, epoch: header.epoch, head: header.head, at: header.at }))];
  for (const entry of deadLetters) {
    parts.push(Buffer.from(entry.stored.line), Buffer.from(recordLine({ t: 'x', s: entry.stored.seq, r: entry.reason, at: entry.at })));
  }
  const delivered: number[] = [];
  for (const s of live) {
    if (s.removed) continue;
    parts.push(Buffer.from(s.line));
    if (s.delivered) delivered.push(s.seq);
  }
  if (delivered.length > 0) parts.push(Buffer.from(recordLine({ t: 'd', s: delivered })));
  return Buffer.concat(parts);
}

/**
 * What a journal read at open holds, as stored events: the dead letters (in the order they
 * were dead-lettered) and the live events (in sequence order). `expiresAt` recomputes each
 * expiry from the publish time, so a lowered retention applies to old events too.
 */
export function restoredEvents(
  replay: ReplayState,
  epoch: string,
  expiresAt: (atMs: number, ttlSeconds: number) => number,
): { dead: DeadLetterEntry[]; live: StoredEvent[] } {
  const toStored = (rec: EventRecord, line: string): StoredEvent => ({
    seq: rec.s,
    event: {
      event_id: formatEventId(epoch, rec.s),
      event_type: rec.ty,
      publisher: rec.pb,
      topic: rec.tp,
      data: rec.d,
      timestamp: new Date(rec.at).toISOString(),
      correlation_id: rec.c,
      ttl_seconds: rec.ttl,
    },
    line,
    bytes: Buffer.byteLength(line, 'utf8'),
    expiresAt: expiresAt(rec.at, rec.ttl),
    delivered: replay.delivered.has(rec.s),
    removed: false,
  });
  const dead: DeadLetterEntry[] = [];
  for (const [seq, d] of replay.dead) {
    const e = replay.events.get(seq);
    if (e) dead.push({ stored: { ...toStored(e.rec, e.line), removed: true }, reason: d.reason, at: d.at });
  }
  const live: StoredEvent[] = [];
  const sorted = [...replay.events.values()].sort((a, b) => a.rec.s - b.rec.s);
  for (const { rec, line } of sorted) {
    if (!replay.dead.has(rec.s)) live.push(toStored(rec, line));
  }
  return { dead, live };
}
