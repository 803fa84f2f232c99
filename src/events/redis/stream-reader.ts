import type { BusEvent } from '../event-bus.js';
import type { RedisClient } from '../../redis/redis-connection.js';
import { decodeRaw, type RedisLogEntry } from './stream-entry.js';
import { READ, type StreamKeys } from './stream-scripts.js';

const BATCH = 1000;

export interface StreamReadRequest {
  epoch: string;
  /** Seq to read after; undefined = from the oldest event held. */
  after: number | undefined;
  /** Read no further than this seq (what this node announced). */
  upto: number;
  match: (event: BusEvent) => boolean;
  limit: number;
  /** Entries expired at this time (epoch ms) are skipped even before a sweep removed them. */
  now: number;
}

export type StreamReadOutcome =
  { kind: 'epoch' } | { kind: 'range'; low: number; ahead: boolean } | { kind: 'ok'; low: number; length: number; entries: RedisLogEntry[]; more: boolean };

/**
 * Matching entries after a cursor, a batch of `READ` script calls at a time; the first call
 * checks the cursor exactly (epoch, trimmed, ahead). The match runs here, so a selective wait
 * may scan several batches.
 */
export async function readStream(client: RedisClient, keys: StreamKeys, req: StreamReadRequest): Promise<StreamReadOutcome> {
  const entries: RedisLogEntry[] = [];
  let from = req.after;
  for (;;) {
    const reply = (await READ.run(client, [keys.stream, keys.seq, keys.epoch, keys.delivered], [req.epoch, from ?? '', req.upto, BATCH])) as [
      string,
      ...unknown[],
    ];
    if (reply[0] === 'EPOCH') return { kind: 'epoch' };
    const low = Number(reply[1]);
    if (reply[0] === 'RANGE') return { kind: 'range', low, ahead: (from ?? 0) > Number(reply[2]) };
    const length = Number(reply[3]);
    const raws = reply[4] as unknown[];
    for (const raw of raws) {
      const entry = decodeRaw(req.epoch, raw);
      from = entry.seq;
      if (entry.expiresAt <= req.now || !req.match(entry.event)) continue;
      if (entries.length === req.limit) return { kind: 'ok', low, length, entries, more: true };
      entries.push(entry);
    }
    if (raws.length < BATCH) return { kind: 'ok', low, length, entries, more: false };
  }
}
