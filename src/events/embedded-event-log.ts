import path from 'node:path';
import type { Config } from '../config/schema.js';
import { CursorExpiredError, EventBusUnavailableError, InvalidEventError } from '../errors/index.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { isDiskFull } from '../storage/atomic-write.js';
import { GroupCommitLoop } from '../storage/group-commit.js';
import { DeadLetterQueue, toDeadLetter } from './dead-letter-queue.js';
import type { DeadLetter, DeadLetterReason, EventBusHealth, EventBusHealthNotes } from './event-bus.js';
import { formatEventId, isEventIdShaped, newEpoch, parseEventId } from './event-id.js';
import type { AppendRecord, EventLog, EventLogSink, LogEntry, LogPage, LogReadOptions } from './event-log.js';
import { EventJournal, type JournalOpenReport } from './event-journal.js';
import { EventRing, type StoredEvent } from './event-ring.js';
import { ExpiryTracker } from './expiry-tracker.js';
import { recordLine } from './journal-records.js';
import { journalSnapshot, restoredEvents } from './journal-snapshot.js';
import { ReplayState } from './journal-replay.js';

export interface EmbeddedEventLogOptions {
  /** The `events` section of the config. */
  events: Config['events'];
  /** Directory of the journal (normally `<storage>/events`). */
  dir: string;
  /** Clock in epoch ms (tests drive TTL expiry with it). Default `Date.now`. */
  now?: () => number;
  logger?: ComponentLogger;
  /** Journal size below which compaction never runs. Default 16 MiB. */
  compactMinBytes?: number;
}

interface PendingAppend {
  readonly record: AppendRecord;
  readonly resolve: (entry: LogEntry) => void;
  readonly reject: (err: unknown) => void;
}

const MAX_BATCH = 4096;
const WRITE_ERROR_DEGRADED_MS = 60_000;

/**
 * The embedded `EventLog`: an in-memory ring of recent events backed by an append-only journal.
 *
 * Durability and ordering: appends are queued and written by one loop, a batch at a time (group
 * commit, `GroupCommitLoop`): while one batch's write + fdatasync is in flight, new appends gather into the next
 * batch, so with `fsync: 'always'` many concurrent publishes share one fsync. Sequence numbers
 * are assigned when a batch is written, and a batch becomes visible (ring, sink, then the
 * appenders' promises) only after it is durable, so visibility order is sequence order.
 *
 * Cursors are event ids `evt_<epoch>_<seq>` (see `event-id.ts`); the epoch changes when the
 * journal is lost, so an old cursor gets 410 instead of silently skipping events.
 */
export class EmbeddedEventLog implements EventLog {
  private readonly cfg: Config['events'];
  private readonly now: () => number;
  private readonly logger: ComponentLogger | undefined;
  private readonly compactMinBytes: number;
  private readonly ring = new EventRing();
  private readonly expiry = new ExpiryTracker();
  private readonly dlq: DeadLetterQueue;
  private sink: EventLogSink | undefined;
  private epochValue = '';
  /** Highest seq that is durable and visible. */
  private head = 0;
  private liveCount = 0;
  private liveBytes = 0;
  private pending: PendingAppend[] = [];
  /** Journal lines (dead letters, removals) waiting for the write loop. */
  private markers: string[] = [];
  private deliveredPending: number[] = [];
  private syncDue = false;
  private dirtySinceSync = false;
  /** While opening, restore() owns the journal; attach() kicks once it is done. */
  private readonly writer = new GroupCommitLoop(
    () => this.hasWork(),
    () => this.writeNextBatch(),
    () => this.state === 'open' || this.state === 'closing',
  );
  private state: 'opening' | 'open' | 'closing' | 'closed' = 'opening';
  private closePromise: Promise<void> | undefined;
  private lastWriteErrorAt = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private headCursorSeq = -1;
  private headCursorText = '';
  /** Restored events still to enter the ring once a sink is attached (so trims reach it). */
  private restored: StoredEvent[] = [];

  private constructor(
    options: EmbeddedEventLogOptions,
    private readonly journal: EventJournal,
  ) {
    this.cfg = options.events;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.compactMinBytes = options.compactMinBytes ?? 16 * 1024 * 1024;
    this.dlq = new DeadLetterQueue(this.cfg.dead_letter_size);
  }

  /** Open (or create) the journal in `options.dir` and rebuild the events, dead letters and epoch from it. */
  static async open(options: EmbeddedEventLogOptions): Promise<EmbeddedEventLog> {
    const replay = new ReplayState();
    const { journal, report } = await EventJournal.open(options.dir, (rec, line) => replay.visit(rec, line));
    const log = new EmbeddedEventLog(options, journal);
    try {
      await log.restore(replay, report);
    } catch (err) {
      await journal.close().catch(() => undefined);
      throw err;
    }
    return log;
  }

  get epoch(): string {
    return this.epochValue;
  }

  attach(sink: EventLogSink): void {
    if (this.sink) throw new Error('EmbeddedEventLog: a sink is already attached');
    this.sink = sink;
    for (const s of this.restored) this.enter(s);
    this.restored = [];
    // Whatever expired or overflowed while the sidecar was down leaves now, as it would have.
    this.sweep();
    this.enforceCapacity(this.now());
    this.state = 'open';
    this.startTimers();
    if (this.hasWork()) this.kick();
  }

  // ---------------------------------------------------------------- append and the write loop

  append(record: AppendRecord): Promise<LogEntry> {
    return new Promise<LogEntry>((resolve, reject) => {
      this.assertWritable();
      this.pending.push({ record, resolve, reject });
      this.kick();
    });
  }

  private hasWork(): boolean {
    return this.pending.length > 0 || this.markers.length > 0 || this.deliveredPending.length > 0 || this.syncDue;
  }

  private kick(): void {
    this.writer.kick();
  }

  /** One group-committed batch: appends and markers queued while the previous one was written. */
  private async writeNextBatch(): Promise<void> {
    const batch = this.pending.splice(0, MAX_BATCH);
    const markers = this.takeMarkers();
    const at = this.now();
    const firstSeq = this.head + 1;
    const stored = batch.map((p, i) => this.makeStored(p.record, firstSeq + i, at));
    let text = markers.join('');
    for (const s of stored) text += s.line;
    try {
      if (text) {
        this.journal.append(text);
        this.dirtySinceSync = true;
      }
      if ((batch.length > 0 && this.cfg.fsync === 'always') || this.syncDue) {
        this.syncDue = false;
        await this.journal.sync();
        this.dirtySinceSync = false;
      }
    } catch (err) {
      this.writeFailed(err, batch, markers);
      return;
    }
    if (batch.length > 0) {
      this.head = firstSeq + batch.length - 1;
      this.commit(stored, batch);
    }
    if (this.shouldCompact()) await this.compact();
  }

  private takeMarkers(): string[] {
    const markers = this.markers;
    this.markers = [];
    if (this.deliveredPending.length > 0) {
      markers.push(recordLine({ t: 'd', s: this.deliveredPending }));
      this.deliveredPending = [];
    }
    return markers;
  }

  private writeFailed(err: unknown, batch: PendingAppend[], markers: string[]): void {
    this.lastWriteErrorAt = this.now();
    const diskFull = isDiskFull(err);
    this.logger?.error({ err, events: batch.length, broken: this.journal.isBroken }, 'event journal write failed');
    // The append was rolled back: markers are retried with the next batch.
    if (!this.journal.isBroken) this.markers.unshift(...markers);
    const failure = new EventBusUnavailableError(diskFull ? 'Event journal write failed: disk full' : 'Event journal write failed');
    for (const p of batch) p.reject(failure);
  }

  private makeStored(r: AppendRecord, seq: number, at: number): StoredEvent {
    // Built by hand so the (possibly large) data JSON is not serialised a second time.
    const line =
      `{"t":"e","s":${seq},"at":${at},"ttl":${r.ttlSeconds},"ty":${JSON.stringify(r.type)},"tp":${JSON.stringify(r.topic)},` +
      `"pb":${JSON.stringify(r.publisher)},"c":${JSON.stringify(r.correlationId)},"d":${r.dataJson}}\n`;
    return {
      seq,
      event: {
        event_id: formatEventId(this.epochValue, seq),
        event_type: r.type,
        publisher: r.publisher,
        topic: r.topic,
        data: r.data,
        timestamp: new Date(at).toISOString(),
        correlation_id: r.correlationId,
        ttl_seconds: r.ttlSeconds,
      },
      line,
      bytes: Buffer.byteLength(line, 'utf8'),
      expiresAt: this.expiryOf(at, r.ttlSeconds),
      delivered: false,
      removed: false,
    };
  }

  private expiryOf(at: number, ttl: number): number {
    return at + Math.min(ttl, this.cfg.retention_seconds) * 1000;
  }

  /** Make a durable batch visible: ring, sink (fan-out), appenders; then enforce capacity. */
  private commit(stored: StoredEvent[], batch: PendingAppend[]): void {
    for (const s of stored) this.enter(s);
    this.sink?.appended(stored.map((s, i) => ({ entry: s, record: batch[i]!.record })));
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(stored[i]!);
    this.enforceCapacity(this.now());
  }

  private enter(s: StoredEvent): void {
    this.ring.push(s);
    this.expiry.add(s);
    this.liveCount++;
    this.liveBytes += s.bytes;
  }

  markDelivered(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      const s = entry as StoredEvent;
      if (s.delivered) continue;
      s.delivered = true;
      this.deliveredPending.push(s.seq);
    }
    if (this.deliveredPending.length > 0) this.kick();
  }

  // ---------------------------------------------------------------- reads and cursors

  read(options: LogReadOptions): LogPage {
    this.sweep();
    const after = this.resolveCursor(options.after);
    const now = this.now();
    const entries: StoredEvent[] = [];
    let more = false;
    for (let i = this.ring.indexAfter(after); i < this.ring.length; i++) {
      const s = this.ring.at(i);
      if (s.removed || s.expiresAt <= now || !options.match(s.event)) continue;
      if (entries.length === options.limit) {
        more = true;
        break;
      }
      entries.push(s);
    }
    return { entries, more, nextCursor: more ? entries[entries.length - 1]!.event.event_id : this.headCursor() };
  }

  headCursor(): string {
    // Asked for on every wait (since=now, the head check): format once per head.
    if (this.headCursorSeq !== this.head) {
      this.headCursorText = formatEventId(this.epochValue, this.head);
      this.headCursorSeq = this.head;
    }
    return this.headCursorText;
  }

  oldestCursor(): string {
    return formatEventId(this.epochValue, this.lowSeq());
  }

  isCursor(text: string): boolean {
    return isEventIdShaped(text);
  }

  depth(): number {
    return this.liveCount;
  }

  /** The seq after which events are read: absent = everything buffered. */
  private resolveCursor(cursor: string | undefined): number {
    const low = this.lowSeq();
    if (cursor === undefined) return low;
    if (cursor === this.headCursorText && this.headCursorSeq === this.head) return this.head;
    const parsed = parseEventId(cursor);
    if (!parsed) throw new InvalidEventError(`Invalid cursor '${cursor.slice(0, 80)}': expected an event id or 'now'`);
    const oldest = formatEventId(this.epochValue, low);
    if (parsed.epoch !== this.epochValue) {
      throw new CursorExpiredError('Cursor is from another incarnation of this event stream (epoch); continue from oldest_cursor', oldest);
    }
    if (parsed.seq < low) throw new CursorExpiredError('Cursor expired: events after it have left the buffer', oldest);
    if (parsed.seq > this.head) throw new CursorExpiredError('Cursor is ahead of this event journal', oldest);
    return parsed.seq;
  }

  /** Everything up to this seq has left the buffer (the cursor just before the oldest event). */
  private lowSeq(): number {
    let front = this.ring.front();
    while (front?.removed) {
      this.ring.shift();
      front = this.ring.front();
    }
    return front ? front.seq - 1 : this.head;
  }

  // ---------------------------------------------------------------- retention

  /** Drop expired events: from the front of the ring, and out-of-order ones from the middle. */
  private sweep(): void {
    if (!this.sink) return;
    const now = this.now();
    for (let front = this.ring.front(); front; front = this.ring.front()) {
      if (front.removed) {
        this.ring.shift();
      } else if (front.expiresAt <= now) {
        this.ring.shift();
        this.retire(front, 'expired', now);
      } else {
        break;
      }
    }
    for (const s of this.expiry.takeExpired(now)) this.retire(s, 'expired', now);
    this.expiry.prune(this.cfg.buffer_size);
  }

  private enforceCapacity(now: number): void {
    while (this.liveCount > this.cfg.buffer_size || this.liveBytes > this.cfg.buffer_max_bytes) {
      const front = this.ring.shift();
      if (!front) break;
      if (!front.removed) this.retire(front, 'evicted', now);
    }
  }

  /** An event leaves the buffer; the sink decides whether it becomes a dead letter. */
  private retire(s: StoredEvent, reason: DeadLetterReason, now: number): void {
    s.removed = true;
    this.liveCount--;
    this.liveBytes -= s.bytes;
    this.sink?.trimmed(s, reason, now);
  }

  // ---------------------------------------------------------------- dead letters

  addDeadLetter(entry: LogEntry, reason: DeadLetterReason, atMs: number): void {
    const stored = entry as StoredEvent;
    if (this.dlq.add({ stored, reason, at: atMs })) {
      this.markers.push(recordLine({ t: 'x', s: stored.seq, r: reason, at: atMs }));
      if (this.state === 'open') this.kick();
    }
  }

  *deadLetters(): Iterable<DeadLetter> {
    this.sweep();
    for (const entry of this.dlq.values()) yield toDeadLetter(entry);
  }

  deadLetterCount(): number {
    return this.dlq.size;
  }

  getDeadLetter(eventId: string): DeadLetter | undefined {
    const entry = this.dlq.get(eventId);
    return entry ? toDeadLetter(entry) : undefined;
  }

  takeDeadLetter(eventId: string): DeadLetter | undefined {
    const entry = this.dlq.take(eventId);
    return entry ? toDeadLetter(entry) : undefined;
  }

  takeAllDeadLetters(): DeadLetter[] {
    return this.dlq.takeAll().map(toDeadLetter);
  }

  restoreDeadLetter(letter: DeadLetter): void {
    this.dlq.putBack(letter.event_id);
  }

  async forgetDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    const seqs = this.dlq.forget(letters.map((l) => l.event_id)).map((entry) => entry.stored.seq);
    if (seqs.length === 0) return;
    // Queue the journal line and wait until the write loop wrote it.
    this.markers.push(recordLine({ t: 'r', s: seqs }));
    this.kick();
    await this.writer.idle();
  }

  // ---------------------------------------------------------------- compaction

  private shouldCompact(): boolean {
    return this.journal.size > Math.max(this.compactMinBytes, 2 * (this.liveBytes + this.dlq.byteSize));
  }

  /**
   * Rewrite the journal as a snapshot of what is still needed: header (epoch, head), dead
   * letters, live events and their delivered flags. Runs inside the write loop, so no append
   * races it. Markers queued so far are already reflected in the snapshot and are dropped.
   */
  private async compact(): Promise<void> {
    const before = this.journal.size;
    // Before attach() the live events are still in `restored`; after it, in the ring.
    const live = this.restored.length > 0 ? this.restored : this.ring.values();
    const snapshot = journalSnapshot({ epoch: this.epochValue, head: this.head, at: this.now() }, this.dlq.values(), live);
    this.markers = [];
    this.deliveredPending = [];
    try {
      await this.journal.rewriteBuffer(snapshot);
      this.dirtySinceSync = false;
      this.logger?.info({ before, after: this.journal.size }, 'event journal compacted');
    } catch (err) {
      this.lastWriteErrorAt = this.now();
      this.logger?.error({ err }, 'event journal compaction failed');
    }
  }

  // ---------------------------------------------------------------- open / restore

  private async restore(replay: ReplayState, report: JournalOpenReport): Promise<void> {
    const now = this.now();
    if (report.tornBytes > 0 || report.corruptLines > 0) {
      this.logger?.warn({ torn_bytes: report.tornBytes, corrupt_lines: report.corruptLines, file: this.journal.file }, 'event journal repaired at open');
    }
    let rewrite = report.corruptLines > 0;
    if (replay.header) {
      this.epochValue = replay.header.epoch;
    } else {
      this.epochValue = newEpoch(now);
      // An existing journal without a readable header: its cursors cannot be trusted any more.
      rewrite ||= !report.created;
    }
    this.head = replay.head();

    const { dead, live } = restoredEvents(replay, this.epochValue, (at, ttl) => this.expiryOf(at, ttl));
    for (const entry of dead) this.dlq.add(entry);
    this.restored = live;

    if (!replay.header && report.created) {
      this.journal.append(recordLine({ t: 'h', v: 1, epoch: this.epochValue, head: this.head, at: now }));
      await this.journal.sync();
    }
    if (rewrite || this.shouldCompactRestored()) await this.compact();
    this.logger?.info(
      {
        epoch: this.epochValue,
        head: this.head,
        buffered: this.restored.length,
        dead_letters: this.dlq.size,
        clean_close: report.cleanClose,
        journal_bytes: this.journal.size,
      },
      'event bus opened',
    );
  }

  private shouldCompactRestored(): boolean {
    let bytes = 0;
    for (const s of this.restored) bytes += s.bytes;
    return this.journal.size > Math.max(this.compactMinBytes, 2 * (bytes + this.dlq.byteSize));
  }

  private startTimers(): void {
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
    this.sweepTimer.unref();
    if (this.cfg.fsync === 'interval') {
      this.syncTimer = setInterval(() => {
        if (!this.dirtySinceSync) return;
        this.syncDue = true;
        this.kick();
      }, this.cfg.fsync_interval_ms);
      this.syncTimer.unref();
    }
  }

  // ---------------------------------------------------------------- health & lifecycle

  health(): EventBusHealth {
    if (this.state !== 'open' || this.journal.isBroken) return 'down';
    if (this.lastWriteErrorAt > 0 && this.now() - this.lastWriteErrorAt < WRITE_ERROR_DEGRADED_MS) return 'degraded';
    return 'ok';
  }

  healthNotes(): EventBusHealthNotes {
    const warnings = this.cfg.fsync === 'interval' ? [`events.fsync is "interval": a 202 may be lost in a crash within ${this.cfg.fsync_interval_ms} ms`] : [];
    if (this.state !== 'open') return { reason: 'event journal closed', warnings };
    if (this.journal.isBroken) return { reason: 'event journal unusable after a failed write', warnings };
    if (this.health() === 'degraded') return { reason: 'event journal write failed in the last minute', warnings };
    return { warnings };
  }

  assertWritable(): void {
    if (this.state !== 'open') throw new EventBusUnavailableError('Event bus is shutting down');
    if (this.journal.isBroken) throw new EventBusUnavailableError('Event journal is unusable after a failed write');
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    this.state = 'closing';
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.syncTimer) clearInterval(this.syncTimer);
    await this.writer.idle();
    try {
      if (!this.journal.isBroken) this.journal.append(recordLine({ t: 'c', at: this.now() }));
    } catch (err) {
      this.logger?.error({ err }, 'event journal close marker failed');
    }
    try {
      await this.journal.close();
    } finally {
      this.state = 'closed';
    }
  }
}

/** `<storage>/events`: where the embedded log keeps its journal. */
export function journalDir(storageDir: string): string {
  return path.join(storageDir, 'events');
}
