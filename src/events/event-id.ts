import { randomBytes } from 'node:crypto';

/**
 * Event ids double as cursors: `evt_<epoch>_<seq>`. `seq` grows by one per published event, in
 * publish order, and is zero-padded to 12 digits so ids of one epoch also sort as strings.
 * The epoch names the journal that minted the id (creation time in base 36 + random bits), so a
 * cursor from a wiped or replaced journal is told apart from one that merely expired.
 *
 * This is the embedded log's cursor format; nothing outside `embedded-event-log.ts` should parse
 * it (routes ask the bus's `isCursor`).
 */
const EVENT_ID_PATTERN = /^evt_([0-9a-z]{4,32})_(\d{1,15})$/;

export interface ParsedEventId {
  epoch: string;
  seq: number;
}

/** A fresh epoch, e.g. `m3k9z1a2f3c4d5`. */
export function newEpoch(nowMs: number): string {
  return nowMs.toString(36) + randomBytes(3).toString('hex');
}

export function formatEventId(epoch: string, seq: number): string {
  return `evt_${epoch}_${String(seq).padStart(12, '0')}`;
}

/** Shaped like an embedded event id (it may still be expired or from another epoch). */
export function isEventIdShaped(text: string): boolean {
  return parseEventId(text) !== null;
}

/** Null when the text is not shaped like an event id (the caller decides 400 vs 410). */
export function parseEventId(text: string): ParsedEventId | null {
  const m = EVENT_ID_PATTERN.exec(text);
  if (!m) return null;
  const seq = Number(m[2]);
  if (!Number.isSafeInteger(seq)) return null;
  return { epoch: m[1]!, seq };
}
