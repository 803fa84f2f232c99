import type { Config } from '../../config/schema.js';
import { AppError, CursorExpiredError, EventBusUnavailableError, InvalidEventError } from '../../errors/index.js';
import type { ComponentLogger } from '../../logging/component-logger.js';
import { connectRedis, destroyQuietly, duplicateConnection, errorText, type RedisClient } from '../../redis/redis-connection.js';
import { redactSecretIn } from '../../redis/redis-url.js';
import { GroupCommitLoop } from '../../storage/group-commit.js';
import type { DeadLetter, DeadLetterReason, EventBusHealth, EventBusHealthNotes } from '../event-bus.js';
import { formatEventId, isEventIdShaped, newEpoch, parseEventId } from '../event-id.js';
import type { AppendRecord, EventLog, EventLogSink, LogEntry, LogPage, LogReadOptions } from '../event-log.js';
import { RedisDeadLetters } from './redis-dead-letters.js';
import { decodeRaw, encodePayload, entryOfRecord, seqOfId, type RawEntry, type RedisLogEntry } from './stream-entry.js';
import { readStream } from './stream-reader.js';
import { APPEND, SWEEP, streamKeys, type StreamKeys } from './stream-scripts.js';
import { StreamTail } from './stream-tail.js';

export interface RedisEventLogOptions {
  /** The `events` section of the config. */
  events: Config['events'];
  /** `redis://[user:password@]host:port[/db]`; never logged with its credentials. */
  url: string;
  /** Sidecars with the same project id on one Redis share one stream. */
  projectId: string;
  /** Clock in epoch ms (tests drive TTL expiry with it). Default `Date.now`. */
  now?: () => number;
  logger?: ComponentLogger;
}

interface PendingAppend {
  readonly record: AppendRecord;
  readonly resolve: (entry: LogEntry) => void;
  readonly reject: (err: unknown) => void;
}

/** An own append that Redis acknowledged, waiting until every earlier event was announced here. */
interface Acknowledged {
  readonly entry: RedisLogEntry;
  readonly record: AppendRecord;
  readonly resolve: (entry: LogEntry) => void;
}

const MAX_BATCH = 512;
const READ_BATCH = 1000;

/**
 * The `EventLog` on Redis Streams, shared by every sidecar of a project on one Redis.
 *
 * Appends go through one Lua script (`stream-scripts.ts`) that INCRs the sequence and XADDs with
 * id `<seq>-0`, so seqs are contiguous and cursors stay `evt_<epoch>_<seq>`; the script also
 * trims to `buffer_size` and keeps per-event expiry, and the epoch key tells a lost stream apart.
 *
 * Visibility follows sequence order on every node: this process "announces" events (tells the
 * core's sink, which answers waiters) strictly in seq order. Its own appends are announced at
 * once when nothing came in between; otherwise they wait until the gap is read. Events of other
 * sidecars arrive through ONE blocking XREAD loop on a second connection, whatever the number of
 * waiters. Reads never go past what was announced here, so a wait that finds nothing and
 * registers cannot miss an event: that event is announced later and wakes it.
 */
export class RedisEventLog implements EventLog {
  private readonly cfg: Config['events'];
  private readonly keys: StreamKeys;
  private readonly now: () => number;
  private readonly logger: ComponentLogger | undefined;
  private readonly letters: RedisDeadLetters;
  private sink: EventLogSink | undefined;
  private epochValue = '';
  /** Highest seq announced to the sink here (the head this node serves). */
  private announced = 0;
  private low = 0;
  private length = 0;
  private nextExpiry = Number.POSITIVE_INFINITY;
  private pending: PendingAppend[] = [];
  private readonly acknowledged = new Map<number, Acknowledged>();
  private readonly writer = new GroupCommitLoop(
    () => this.pending.length > 0,
    () => this.appendBatch(),
    () => this.state === 'open',
  );
  private catching: Promise<void> | undefined;
  private catchAgain = false;
  private sweeping: Promise<void> | undefined;
  private deliveredQueue: number[] = [];
  private readonly writes = new Set<Promise<unknown>>();
  private readonly reads = new Set<Promise<unknown>>();
  /** An append script call is under way: the tail holds what it reads until its reply is handled. */
  private appendInFlight = false;
  private deferred: RawEntry[][] = [];
  private state: 'opening' | 'open' | 'closing' | 'closed' = 'opening';
  private closePromise: Promise<void> | undefined;
  private readonly tailReader: StreamTail;
  private timer: NodeJS.Timeout | undefined;
  private appendonly: boolean | undefined;
  private readonly url: string;

  private constructor(
    options: RedisEventLogOptions,
    private readonly client: RedisClient,
    private readonly tail: RedisClient,
  ) {
    this.cfg = options.events;
    this.url = options.url;
    this.keys = streamKeys(options.projectId);
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.letters = new RedisDeadLetters(client, this.keys, this.cfg.dead_letter_size, this.logger);
    this.tailReader = new StreamTail(
      tail,
      client,
      this.keys.stream,
      {
        from: () => this.announced,
        // Entries of an append whose reply is still on its way must be announced with their record.
        entries: (raws) => {
          if (this.appendInFlight) this.deferred.push(raws);
          else this.ingest(raws);
        },
        idle: async () => {
          await this.adoptEpoch();
        },
        lost: () => this.sink?.interrupted?.(),
      },
      this.logger,
    );
  }

  /** Connect (two connections: commands, and the blocking tail), adopt or create the stream's epoch, load its state. */
  static async open(options: RedisEventLogOptions): Promise<RedisEventLog> {
    const conn = { url: options.url, name: `cco-events-${options.projectId}`, ...(options.logger ? { logger: options.logger } : {}) };
    const client = await connectRedis(conn);
    let tail: RedisClient | undefined;
    try {
      tail = await duplicateConnection(client, { ...conn, name: `${conn.name}-tail` });
      const log = new RedisEventLog(options, client, tail);
      await log.load();
      return log;
    } catch (err) {
      destroyQuietly(client);
      if (tail) destroyQuietly(tail);
      throw err;
    }
  }

  private async load(): Promise<void> {
    await this.adoptEpoch();
    const [head, front, len, next] = await Promise.all([
      this.client.get(this.keys.seq),
      this.rawRange('-', 1),
      this.client.xLen(this.keys.stream),
      this.client.zRangeWithScores(this.keys.expiry, 0, 0),
    ]);
    this.announced = Number(head ?? 0);
    this.low = front[0] ? seqOfId(front[0][0]) - 1 : this.announced;
    this.length = len;
    this.nextExpiry = next[0] ? next[0].score : Number.POSITIVE_INFINITY;
    await this.letters.refresh(true);
    await this.checkAppendonly();
    this.logger?.info({ epoch: this.epochValue, head: this.announced, buffered: this.length, dead_letters: this.letters.size }, 'event stream on redis opened');
  }

  /** The stored epoch, or ours when there is none yet (a new or flushed Redis). */
  private async adoptEpoch(): Promise<string> {
    await this.client.set(this.keys.epoch, newEpoch(this.now()), { condition: 'NX' });
    const stored = (await this.client.get(this.keys.epoch)) ?? '';
    if (this.epochValue === '') this.epochValue = stored;
    else if (stored !== this.epochValue) this.resetEpoch(stored);
    return stored;
  }

  /** The stream was lost: old cursors are foreign from now on (410), the new stream is read from its start. */
  private resetEpoch(epoch: string): void {
    this.logger?.warn({ previous_epoch: this.epochValue, epoch }, 'event stream on redis was lost (flushed or replaced): new epoch');
    this.epochValue = epoch;
    this.announced = 0;
    this.low = 0;
    this.length = 0;
    this.nextExpiry = Number.POSITIVE_INFINITY;
    this.letters.reset();
  }

  get epoch(): string {
    return this.epochValue;
  }

  attach(sink: EventLogSink): void {
    if (this.sink) throw new Error('RedisEventLog: a sink is already attached');
    this.sink = sink;
    this.state = 'open';
    this.tailReader.start();
    this.timer = setInterval(() => this.housekeeping(), 1000);
    this.timer.unref();
  }

  // ---------------------------------------------------------------- append

  append(record: AppendRecord): Promise<LogEntry> {
    return new Promise<LogEntry>((resolve, reject) => {
      this.assertWritable();
      this.pending.push({ record, resolve, reject });
      this.writer.kick();
    });
  }

  /** One script call for the appends gathered while the previous one was under way. */
  private async appendBatch(): Promise<void> {
    const batch = this.pending.splice(0, MAX_BATCH);
    const at = this.now();
    const args: Array<string | number> = [newEpoch(at), this.cfg.buffer_size, batch.length];
    const expiries = batch.map((p) => at + Math.min(p.record.ttlSeconds, this.cfg.retention_seconds) * 1000);
    batch.forEach((p, i) => args.push(at, expiries[i]!, encodePayload(p.record)));
    this.appendInFlight = true;
    try {
      await this.runAppend(batch, args, at, expiries);
    } finally {
      this.appendInFlight = false;
      for (const raws of this.deferred.splice(0)) this.ingest(raws);
    }
  }

  private async runAppend(batch: PendingAppend[], args: Array<string | number>, at: number, expiries: number[]): Promise<void> {
    let reply: [string, number, number, number, unknown[]];
    try {
      reply = (await APPEND.run(this.client, [this.keys.stream, this.keys.seq, this.keys.epoch, this.keys.delivered, this.keys.expiry], args)) as typeof reply;
    } catch (err) {
      const failure = this.unavailable(err, 'append');
      for (const p of batch) p.reject(failure);
      return;
    }
    const [epoch, first, length, low, trimmed] = reply;
    if (epoch !== this.epochValue) this.resetEpoch(epoch);
    this.length = length;
    this.low = low;
    const acks = batch.map((p, i): Acknowledged => ({
      entry: entryOfRecord(this.epochValue, first + i, p.record, at, expiries[i]!),
      record: p.record,
      resolve: p.resolve,
    }));
    for (const a of acks) this.noteExpiry(a.entry.expiresAt);
    if (first === this.announced + 1) {
      this.announce(acks.map((a) => ({ entry: a.entry, record: a.record })));
      for (const a of acks) a.resolve(a.entry);
    } else {
      for (const a of acks) this.acknowledged.set(a.entry.seq, a);
      await this.catchUp().catch((err: unknown) => this.logger?.warn({ err: errorText(err) }, 'event stream catch-up failed'));
      // Everything that existed up to our seqs was read: what is still missing left the stream.
      this.announced = Math.max(this.announced, first + batch.length - 1);
      this.resolveAcknowledged();
    }
    const nowMs = this.now();
    for (const raw of trimmed) this.sink?.trimmed(decodeRaw(this.epochValue, raw), 'evicted', nowMs);
  }

  /** Tell the sink about events in seq order; the head here moves to the last one. */
  private announce(batch: Array<{ entry: RedisLogEntry; record: AppendRecord | undefined }>): void {
    if (batch.length === 0) return;
    this.announced = batch[batch.length - 1]!.entry.seq;
    this.sink?.appended(batch);
  }

  /** Raw stream entries (from the tail or a catch-up) → announced in order, own appends resolved. */
  private ingest(raws: readonly RawEntry[]): void {
    const batch: Array<{ entry: RedisLogEntry; record: AppendRecord | undefined }> = [];
    let last = this.announced;
    for (const raw of raws) {
      const seq = seqOfId(raw[0]);
      if (seq <= last) continue;
      last = seq;
      const mine = this.acknowledged.get(seq);
      const entry = mine ? mine.entry : decodeRaw(this.epochValue, raw);
      if (!mine) this.noteExpiry(entry.expiresAt);
      batch.push({ entry, record: mine?.record });
    }
    this.announce(batch);
    this.resolveAcknowledged();
  }

  private resolveAcknowledged(): void {
    for (const [seq, a] of this.acknowledged) {
      if (seq > this.announced) continue;
      this.acknowledged.delete(seq);
      a.resolve(a.entry);
    }
  }

  /** Read and announce everything after the local head (one at a time; a second call joins). */
  private catchUp(): Promise<void> {
    if (this.catching) {
      this.catchAgain = true;
      return this.catching;
    }
    this.catching = (async () => {
      try {
        do {
          this.catchAgain = false;
          for (;;) {
            const raws = await this.rawRange(`(${this.announced}-0`, READ_BATCH);
            this.ingest(raws);
            if (raws.length < READ_BATCH) break;
          }
        } while (this.catchAgain);
      } finally {
        this.catching = undefined;
      }
    })();
    return this.catching;
  }

  private async rawRange(start: string, count: number): Promise<RawEntry[]> {
    return this.client.sendCommand<RawEntry[]>(['XRANGE', this.keys.stream, start, '+', 'COUNT', String(count)]);
  }

  // ---------------------------------------------------------------- reads and cursors

  read(options: LogReadOptions): Promise<LogPage> {
    const p = this.readOnce(options, true).catch((err: unknown) => {
      throw err instanceof AppError ? err : this.unavailable(err, 'read');
    });
    // close() lets reads under way finish, so a wait being registered is answered, not failed.
    const tracked = p
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => this.reads.delete(tracked));
    this.reads.add(tracked);
    return p;
  }

  private async readOnce(options: LogReadOptions, retry: boolean): Promise<LogPage> {
    let after: number | undefined;
    if (options.after !== undefined) {
      const parsed = parseEventId(options.after);
      if (!parsed) throw new InvalidEventError(`Invalid cursor '${options.after.slice(0, 80)}': expected an event id or 'now'`);
      if (parsed.epoch !== this.epochValue) await this.adoptEpoch();
      if (parsed.epoch !== this.epochValue) {
        throw new CursorExpiredError('Cursor is from another incarnation of this event stream (epoch); continue from oldest_cursor', this.oldestCursor());
      }
      after = parsed.seq;
      // A cursor another sidecar minted may be ahead of what this one announced so far.
      if (after > this.announced) await this.catchUp();
    }
    if (this.now() >= this.nextExpiry) await this.sweep();
    const upto = this.announced;
    const outcome = await readStream(this.client, this.keys, {
      epoch: this.epochValue,
      after,
      upto,
      match: options.match,
      limit: options.limit,
      now: this.now(),
    });
    if (outcome.kind === 'epoch') {
      await this.adoptEpoch();
      if (after === undefined && retry) return this.readOnce(options, false);
      throw new CursorExpiredError('Cursor is from another incarnation of this event stream (epoch); continue from oldest_cursor', this.oldestCursor());
    }
    this.low = outcome.low;
    if (outcome.kind === 'range') {
      throw new CursorExpiredError(
        outcome.ahead ? 'Cursor is ahead of this event stream' : 'Cursor expired: events after it have left the stream',
        this.oldestCursor(),
      );
    }
    this.length = outcome.length;
    const { entries, more } = outcome;
    return { entries, more, nextCursor: more ? entries[entries.length - 1]!.event.event_id : formatEventId(this.epochValue, upto) };
  }

  headCursor(): string {
    return formatEventId(this.epochValue, this.announced);
  }

  oldestCursor(): string {
    return formatEventId(this.epochValue, Math.min(this.low, this.announced));
  }

  isCursor(text: string): boolean {
    return isEventIdShaped(text);
  }

  depth(): number {
    return this.length;
  }

  markDelivered(entries: readonly LogEntry[]): void {
    const first = this.deliveredQueue.length === 0;
    for (const e of entries) {
      const entry = e as RedisLogEntry;
      if (entry.delivered) continue;
      entry.delivered = true;
      this.deliveredQueue.push(entry.seq);
    }
    // One SADD per turn of the event loop for all the deliveries made in it.
    if (first && this.deliveredQueue.length > 0) setImmediate(() => this.flushDelivered());
  }

  private flushDelivered(): void {
    const seqs = this.deliveredQueue.splice(0).map(String);
    if (seqs.length === 0) return;
    this.track(this.client.sAdd(this.keys.delivered, seqs), 'delivered flags');
  }

  // ---------------------------------------------------------------- retention

  private noteExpiry(at: number): void {
    if (at < this.nextExpiry) this.nextExpiry = at;
  }

  /** Remove what expired (on any node's behalf: the script is atomic); the sink hears about each. */
  private sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        const now = this.now();
        const [removed, next, length, low] = (await SWEEP.run(this.client, [this.keys.stream, this.keys.delivered, this.keys.expiry], [now, 1000])) as [
          unknown[],
          string,
          number,
          string,
        ];
        this.nextExpiry = next === '' ? Number.POSITIVE_INFINITY : Number(next);
        this.length = length;
        this.low = low === '' ? this.announced : Number(low);
        for (const raw of removed) this.sink?.trimmed(decodeRaw(this.epochValue, raw), 'expired', now);
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  private housekeeping(): void {
    if (this.state !== 'open' || !this.client.isReady) return;
    const work = async (): Promise<void> => {
      if (this.now() >= this.nextExpiry) await this.sweep();
      await this.letters.refresh();
    };
    work().catch((err: unknown) => this.logger?.warn({ err: errorText(err) }, 'event stream housekeeping failed'));
  }

  // ---------------------------------------------------------------- dead letters

  addDeadLetter(entry: LogEntry, reason: DeadLetterReason, atMs: number): void {
    this.letters.add(entry as RedisLogEntry, reason, atMs);
  }

  deadLetters(): Iterable<DeadLetter> {
    return this.letters.values();
  }

  deadLetterCount(): number {
    return this.letters.size;
  }

  getDeadLetter(eventId: string): DeadLetter | undefined {
    return this.letters.get(eventId);
  }

  takeDeadLetter(eventId: string): DeadLetter | undefined {
    return this.letters.take(eventId);
  }

  restoreDeadLetter(letter: DeadLetter): void {
    this.letters.putBack(letter);
  }

  async forgetDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    try {
      await this.letters.forget(letters);
    } catch (err) {
      throw this.unavailable(err, 'dead letters');
    }
  }

  takeAllDeadLetters(): DeadLetter[] {
    return this.letters.takeAll();
  }

  // ---------------------------------------------------------------- health & lifecycle

  /** Whether Redis persists what it acknowledged (undefined = unknown, e.g. CONFIG is disabled). */
  get appendonlyEnabled(): boolean | undefined {
    return this.appendonly;
  }

  private async checkAppendonly(): Promise<void> {
    try {
      const reply = await this.client.configGet('appendonly');
      this.appendonly = reply.appendonly === 'yes';
      if (!this.appendonly) {
        this.logger?.warn({}, 'redis runs without appendonly: events acknowledged (202) since the last snapshot are lost if Redis restarts');
      }
    } catch {
      this.appendonly = undefined;
    }
  }

  health(): EventBusHealth {
    if (this.state !== 'open') return 'down';
    if (!this.client.isReady || !this.tailReader.healthy) return 'down';
    return 'ok';
  }

  healthNotes(): EventBusHealthNotes {
    const warnings =
      this.appendonly === false ? ['redis appendonly is off: events acknowledged (202) after the last RDB snapshot are lost if Redis restarts'] : [];
    if (this.state !== 'open') return { reason: 'event stream closed', warnings };
    if (!this.client.isReady) return { reason: 'redis unreachable', warnings };
    if (!this.tailReader.healthy) return { reason: 'redis stream reader failing', warnings };
    return { warnings };
  }

  assertWritable(): void {
    if (this.state !== 'open') throw new EventBusUnavailableError('Event bus is shutting down');
    if (!this.client.isReady) throw new EventBusUnavailableError('Event bus unavailable: Redis is unreachable');
  }

  private unavailable(err: unknown, what: string): EventBusUnavailableError {
    this.logger?.error({ err: redactSecretIn(errorText(err), this.url), op: what }, 'redis event stream request failed');
    return new EventBusUnavailableError(`Event bus unavailable: Redis ${what} failed`);
  }

  private track(p: Promise<unknown>, what: string): void {
    const tracked = p
      .catch((err: unknown) => this.logger?.warn({ err: errorText(err) }, `redis write failed (${what})`))
      .finally(() => this.writes.delete(tracked));
    this.writes.add(tracked);
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    const wasOpen = this.state === 'open';
    this.state = 'closing';
    if (this.timer) clearInterval(this.timer);
    try {
      if (wasOpen) {
        await this.writer.idle();
        await Promise.allSettled([...this.reads]);
        this.flushDelivered();
        await Promise.allSettled([...this.writes]);
        await this.letters.settled();
      }
    } finally {
      // The tail is blocked in XREAD: destroying its connection ends the loop at once.
      await this.tailReader.stop(() => destroyQuietly(this.tail));
      destroyQuietly(this.client);
      this.state = 'closed';
    }
  }
}
