import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/schema.js';
import { CursorExpiredError, EventBusUnavailableError, InvalidEventError, NotFoundError } from '../errors/index.js';
import { isDiskFull } from '../storage/atomic-write.js';
import { DeadLetterQueue, toDeadLetter, type DeadLetterEntry } from './dead-letter-queue.js';
import { DeliveryStats } from './delivery-stats.js';
import type {
  BusEvent, DeadLetter, DeadLetterListOptions, DeadLetterPage, DeadLetterReason, EventBus, EventBusHealth, EventBusStats,
  EventPage, ListOptions, PublishedListener, PublishInput, PublishResult, WaitOptions, WaitResult,
} from './event-bus.js';
import { matchesFilter, parseFilter, type EventFilter } from './event-filter.js';
import { formatEventId, newEpoch, parseEventId } from './event-id.js';
import { EVENT_NAME_MESSAGE, EVENT_NAME_PATTERN } from '../contract/ids.js';
import { EventJournal, type JournalOpenReport } from './event-journal.js';
import { EventRing, type StoredEvent } from './event-ring.js';
import { ExpiryTracker } from './expiry-tracker.js';
import { recordLine, type EventRecord, type HeaderRecord, type JournalRecord } from './journal-records.js';
import { WaiterRegistry, type Waiter } from './waiter-registry.js';

/** Structural logger (pino fits) so the bus does not depend on a logging library. */
export interface BusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface EmbeddedEventBusOptions {
  /** The `events` section of the config. */
  events: Config['events'];
  /** Directory of the journal (normally `<storage>/events`). */
  dir: string;
  /** Clock in epoch ms (tests drive TTL expiry with it). Default `Date.now`. */
  now?: () => number;
  logger?: BusLogger;
  /** Journal size below which compaction never runs. Default 16 MiB. */
  compactMinBytes?: number;
}

interface PendingPublish {
  readonly type: string;
  readonly topic: string;
  readonly publisher: string;
  readonly correlationId: string | null;
  readonly ttl: number;
  readonly dataJson: string;
  readonly data: Record<string, unknown>;
  /** performance.now() at the publish call, for the delivery latency. */
  readonly startedAt: number;
  readonly resolve: (result: PublishResult) => void;
  readonly reject: (err: unknown) => void;
}

/** State collected while reading the journal at open. */
class ReplayState {
  header: HeaderRecord | undefined;
  readonly events = new Map<number, { rec: EventRecord; line: string }>();
  readonly delivered = new Set<number>();
  /** Dead letters in the order they were dead-lettered. */
  readonly dead = new Map<number, { reason: DeadLetterReason; at: number }>();

  visit(rec: JournalRecord, line: string): void {
    switch (rec.t) {
      case 'h':
        this.header ??= rec;
        break;
      case 'e':
        this.events.set(rec.s, { rec, line });
        break;
      case 'd':
        for (const s of rec.s) this.delivered.add(s);
        break;
      case 'x':
        this.dead.delete(rec.s);
        this.dead.set(rec.s, { reason: rec.r, at: rec.at });
        break;
      case 'r':
        for (const s of rec.s) {
          this.dead.delete(s);
          this.events.delete(s);
        }
        break;
      case 'c':
        break;
    }
  }
}

const MAX_BATCH = 4096;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const MAX_JITTER_MS = 250;
const WRITE_ERROR_DEGRADED_MS = 60_000;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * The embedded event bus: an in-memory ring of recent events backed by an append-only journal.
 *
 * Durability and ordering: publishes are queued and written by one loop, a batch at a time
 * (group commit): while one batch's write + fdatasync is in flight, new publishes gather into the
 * next batch, so with `fsync: 'always'` many concurrent publishes share one fsync. Sequence
 * numbers are assigned when a batch is written, and a batch becomes visible (ring, waiters,
 * listeners, then the publishers' promises) only after it is durable, so a waiter never sees an
 * event that a crash could take back, and visibility order is sequence order.
 *
 * Waits scan the ring after their cursor; if nothing matches they register and are answered by
 * the first later batch with a match. Both steps run without an await in between, so no event
 * can slip between the scan and the registration.
 */
export class EmbeddedEventBus implements EventBus {
  private readonly cfg: Config['events'];
  private readonly now: () => number;
  private readonly logger: BusLogger | undefined;
  private readonly compactMinBytes: number;
  private readonly ring = new EventRing();
  private readonly expiry = new ExpiryTracker();
  private readonly dlq: DeadLetterQueue;
  private readonly waiters: WaiterRegistry;
  private readonly counters = new DeliveryStats();
  private readonly listeners = new Set<PublishedListener>();
  private epoch = '';
  /** Highest seq that is durable and visible. */
  private head = 0;
  private liveCount = 0;
  private liveBytes = 0;
  private pending: PendingPublish[] = [];
  /** Journal lines (dead letters, removals) waiting for the write loop. */
  private markers: string[] = [];
  private deliveredPending: number[] = [];
  private syncDue = false;
  private dirtySinceSync = false;
  private flushing: Promise<void> | undefined;
  private state: 'opening' | 'open' | 'closing' | 'closed' = 'opening';
  private closePromise: Promise<void> | undefined;
  private lastWriteErrorAt = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;

  private constructor(options: EmbeddedEventBusOptions, private readonly journal: EventJournal) {
    this.cfg = options.events;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.compactMinBytes = options.compactMinBytes ?? 16 * 1024 * 1024;
    this.dlq = new DeadLetterQueue(this.cfg.dead_letter_size);
    this.waiters = new WaiterRegistry({ perKey: this.cfg.max_waits_per_token, total: this.cfg.max_waits_total });
  }

  /** Open (or create) the journal in `options.dir` and rebuild the buffer, dead letters and epoch from it. */
  static async open(options: EmbeddedEventBusOptions): Promise<EmbeddedEventBus> {
    const replay = new ReplayState();
    const { journal, report } = await EventJournal.open(options.dir, (rec, line) => replay.visit(rec, line));
    const bus = new EmbeddedEventBus(options, journal);
    try {
      await bus.restore(replay, report);
    } catch (err) {
      await journal.close().catch(() => undefined);
      throw err;
    }
    bus.startTimers();
    return bus;
  }

  // ---------------------------------------------------------------- publish

  publish(input: PublishInput): Promise<PublishResult> {
    // A throw inside the executor (closed bus, invalid input) rejects the promise.
    return new Promise<PublishResult>((resolve, reject) => {
      this.assertOpen();
      this.pending.push(this.prepare(input, resolve, reject));
      this.kick();
    });
  }

  private prepare(input: PublishInput, resolve: PendingPublish['resolve'], reject: PendingPublish['reject']): PendingPublish {
    const startedAt = performance.now();
    const type = input.event_type;
    if (typeof type !== 'string' || !EVENT_NAME_PATTERN.test(type)) {
      throw new InvalidEventError(`event_type ${EVENT_NAME_MESSAGE} (and is not *)`, { event_type: type });
    }
    const topic = input.topic ?? 'coordination';
    if (typeof topic !== 'string' || !EVENT_NAME_PATTERN.test(topic)) {
      throw new InvalidEventError(`topic ${EVENT_NAME_MESSAGE}`, { topic });
    }
    const publisher = input.publisher;
    if (typeof publisher !== 'string' || publisher.length === 0 || publisher.length > 256 || CONTROL_CHARS.test(publisher)) {
      throw new InvalidEventError('publisher must be 1..256 printable characters');
    }
    const correlationId = input.correlation_id ?? null;
    if (correlationId !== null && (typeof correlationId !== 'string' || correlationId.length === 0 || correlationId.length > 256 || CONTROL_CHARS.test(correlationId))) {
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
    if (size > this.cfg.max_event_bytes) {
      throw new InvalidEventError(`data is ${size} bytes; the limit is ${this.cfg.max_event_bytes}`, { size, limit: this.cfg.max_event_bytes });
    }
    // Keep the JSON round-trip, not the caller's object: later mutation by the caller cannot
    // change the event, and what waiters see now is exactly what a restart replays.
    const data = JSON.parse(dataJson) as Record<string, unknown>;
    return { type, topic, publisher, correlationId, ttl, dataJson, data, startedAt, resolve, reject };
  }

  // ---------------------------------------------------------------- the write loop

  private hasWork(): boolean {
    return this.pending.length > 0 || this.markers.length > 0 || this.deliveredPending.length > 0 || this.syncDue;
  }

  private kick(): void {
    // While opening, restore() owns the journal; it kicks once it is done.
    if (this.flushing || this.state === 'opening') return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      if (this.hasWork() && this.state !== 'closed') this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    // Let every publish that arrives in this turn of the event loop (all the requests parsed in
    // one poll phase) join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.hasWork()) {
      const batch = this.pending.splice(0, MAX_BATCH);
      const markers = this.takeMarkers();
      const at = this.now();
      const firstSeq = this.head + 1;
      const stored = batch.map((p, i) => this.makeStored(p, firstSeq + i, at));
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
        continue;
      }
      if (batch.length > 0) {
        this.head = firstSeq + batch.length - 1;
        this.commit(stored, batch);
      }
      if (this.shouldCompact()) await this.compact();
    }
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

  private writeFailed(err: unknown, batch: PendingPublish[], markers: string[]): void {
    this.lastWriteErrorAt = this.now();
    const diskFull = isDiskFull(err);
    this.logger?.error({ err, events: batch.length, broken: this.journal.isBroken }, 'event journal write failed');
    // The append was rolled back: markers are retried with the next batch.
    if (!this.journal.isBroken) this.markers.unshift(...markers);
    const failure = new EventBusUnavailableError(diskFull ? 'Event journal write failed: disk full' : 'Event journal write failed');
    for (const p of batch) p.reject(failure);
  }

  private makeStored(p: PendingPublish, seq: number, at: number): StoredEvent {
    // Built by hand so the (possibly large) data JSON is not serialised a second time.
    const line = `{"t":"e","s":${seq},"at":${at},"ttl":${p.ttl},"ty":${JSON.stringify(p.type)},"tp":${JSON.stringify(p.topic)},` +
      `"pb":${JSON.stringify(p.publisher)},"c":${JSON.stringify(p.correlationId)},"d":${p.dataJson}}\n`;
    const event: BusEvent = {
      event_id: formatEventId(this.epoch, seq),
      event_type: p.type,
      publisher: p.publisher,
      topic: p.topic,
      data: p.data,
      timestamp: new Date(at).toISOString(),
      correlation_id: p.correlationId,
      ttl_seconds: p.ttl,
    };
    return { seq, event, line, bytes: Buffer.byteLength(line, 'utf8'), expiresAt: this.expiryOf(at, p.ttl), delivered: false, removed: false };
  }

  private expiryOf(at: number, ttl: number): number {
    return at + Math.min(ttl, this.cfg.retention_seconds) * 1000;
  }

  /** Make a durable batch visible: buffer, waiters, publishers, listeners; then enforce capacity. */
  private commit(stored: StoredEvent[], batch: PendingPublish[]): void {
    for (const s of stored) {
      this.ring.push(s);
      this.expiry.add(s);
      this.liveCount++;
      this.liveBytes += s.bytes;
    }
    this.counters.published += stored.length;
    const woken = this.fanOut(stored, batch);
    for (let i = 0; i < batch.length; i++) {
      const w = woken?.[i];
      batch[i]!.resolve({
        event: stored[i]!.event,
        subscribers_notified: w ? [...w.subs] : [],
        subscriber_count: w ? w.count : 0,
      });
    }
    if (this.listeners.size > 0) {
      for (const s of stored) {
        for (const fn of this.listeners) {
          try {
            fn(s.event);
          } catch (err) {
            this.logger?.warn({ err }, 'event listener threw');
          }
        }
      }
    }
    this.enforceCapacity(this.now());
  }

  /** Answer every blocked wait that matches something in the batch, all in this one pass. */
  private fanOut(stored: StoredEvent[], batch: PendingPublish[]): Array<{ subs: Set<string>; count: number } | undefined> | undefined {
    if (this.waiters.size === 0) return undefined;
    const types = new Set<string>();
    for (const s of stored) types.add(s.event.event_type);
    const candidates = this.waiters.candidates(types);
    if (candidates.length === 0) return undefined;
    const woken: Array<{ subs: Set<string>; count: number } | undefined> = new Array(stored.length);
    const t = performance.now();
    for (const w of candidates) {
      const matched: StoredEvent[] = [];
      const indexes: number[] = [];
      let more = false;
      for (let i = 0; i < stored.length; i++) {
        if (!matchesWaiter(w, stored[i]!.event)) continue;
        if (matched.length === w.limit) {
          more = true;
          break;
        }
        matched.push(stored[i]!);
        indexes.push(i);
      }
      if (matched.length === 0 || !this.waiters.remove(w)) continue;
      for (const i of indexes) {
        const entry = (woken[i] ??= { subs: new Set(), count: 0 });
        entry.subs.add(w.subscriberId);
        entry.count++;
        this.counters.recordLatency(t - batch[i]!.startedAt);
      }
      this.answer(w, this.deliver(matched, more));
    }
    return woken;
  }

  private answer(w: Waiter, result: WaitResult): void {
    if (w.timer) clearTimeout(w.timer);
    w.detachAbort?.();
    w.settle(result);
  }

  // ---------------------------------------------------------------- reads

  wait(options: WaitOptions): Promise<WaitResult> {
    try {
      return this.startWait(options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Synchronous up to the registration, so no publish can interleave between scan and register. */
  private startWait(o: WaitOptions): Promise<WaitResult> {
    this.assertOpen();
    const eventType = checkWaitType(o.eventType);
    const topic = checkTopic(o.topic);
    const filter = parseFilter(o.filter);
    const limit = clampLimit(o.limit);
    const subscriberId = String(o.subscriberId);
    const capKey = o.capKey ?? subscriberId;
    this.waiters.assertCapacity(capKey);
    this.sweep();
    const after = this.resolveCursor(o.since);
    const issueScope = o.issueScope;
    const probe: Selection = { eventType, topic, filter, issueScope };
    const found = this.scan(after, (e) => matchesWaiter(probe, e), limit);
    if (found.matched.length > 0) return Promise.resolve(this.deliver(found.matched, found.more));
    const timeoutMs = this.clampTimeout(o.timeoutMs);
    if (timeoutMs === 0 || o.signal?.aborted) return Promise.resolve(this.timeoutPage());
    return new Promise<WaitResult>((resolve) => {
      const w: Waiter = { eventType, topic, filter, issueScope, limit, subscriberId, capKey, settle: resolve };
      this.waiters.add(w);
      w.timer = setTimeout(() => {
        if (!this.waiters.remove(w)) return;
        w.detachAbort?.();
        resolve(this.timeoutPage());
      }, jitter(timeoutMs));
      const signal = o.signal;
      if (signal) {
        const onAbort = (): void => {
          if (!this.waiters.remove(w)) return;
          if (w.timer) clearTimeout(w.timer);
          resolve(this.timeoutPage());
        };
        signal.addEventListener('abort', onAbort, { once: true });
        w.detachAbort = () => signal.removeEventListener('abort', onAbort);
      }
    });
  }

  list(options: ListOptions = {}): Promise<EventPage> {
    try {
      this.assertOpen();
      const eventType = checkWaitType(options.eventType ?? '*');
      const topic = checkTopic(options.topic);
      const filter = parseFilter(options.filter);
      const limit = clampLimit(options.limit);
      this.sweep();
      const after = this.resolveCursor(options.since);
      const probe: Selection = { eventType, topic, filter, issueScope: options.issueScope };
      const found = this.scan(after, (e) => matchesWaiter(probe, e), limit);
      return Promise.resolve(this.page(found.matched, found.more));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The seq after which events are read: absent = everything buffered, `now` = head. */
  private resolveCursor(since: string | undefined): number {
    const low = this.lowSeq();
    if (since === undefined || since === '') return low;
    if (since === 'now') return this.head;
    const parsed = parseEventId(since);
    if (!parsed) throw new InvalidEventError(`Invalid cursor '${since.slice(0, 80)}': expected an event id or 'now'`);
    const oldest = formatEventId(this.epoch, low);
    if (parsed.epoch !== this.epoch) {
      throw new CursorExpiredError('Cursor is from another event journal (epoch); continue from oldest_cursor', oldest);
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

  private scan(after: number, match: (e: BusEvent) => boolean, limit: number): { matched: StoredEvent[]; more: boolean } {
    const now = this.now();
    const matched: StoredEvent[] = [];
    let more = false;
    for (let i = this.ring.indexAfter(after); i < this.ring.length; i++) {
      const s = this.ring.at(i);
      if (s.removed || s.expiresAt <= now || !match(s.event)) continue;
      if (matched.length === limit) {
        more = true;
        break;
      }
      matched.push(s);
    }
    return { matched, more };
  }

  private page(matched: StoredEvent[], more: boolean): EventPage {
    // Without more matches the reader has seen everything up to head: jump there, so the next
    // call does not rescan events that did not match.
    const last = more ? matched[matched.length - 1]!.seq : this.head;
    return { events: matched.map((s) => s.event), more_available: more, next_cursor: formatEventId(this.epoch, last) };
  }

  /** A page answered to a waiter: counts as a delivery (the events will never be dead letters). */
  private deliver(matched: StoredEvent[], more: boolean): WaitResult {
    for (const s of matched) {
      if (!s.delivered) {
        s.delivered = true;
        this.deliveredPending.push(s.seq);
      }
    }
    this.counters.delivered += matched.length;
    if (this.deliveredPending.length > 0) this.kick();
    return this.page(matched, more);
  }

  private timeoutPage(): WaitResult {
    return { events: [], more_available: false, next_cursor: formatEventId(this.epoch, this.head), timeout: true };
  }

  private clampTimeout(requested: number | undefined): number {
    const t = requested ?? this.cfg.default_wait_timeout_ms;
    if (typeof t !== 'number' || Number.isNaN(t)) throw new InvalidEventError('timeout must be a number of milliseconds');
    return Math.min(Math.max(0, Math.floor(t)), this.cfg.max_wait_timeout_ms);
  }

  // ---------------------------------------------------------------- retention

  /** Drop expired events: from the front of the ring, and out-of-order ones from the middle. */
  private sweep(): void {
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

  /** An event leaves the buffer; undelivered, it becomes a dead letter. */
  private retire(s: StoredEvent, reason: DeadLetterReason, now: number): void {
    s.removed = true;
    this.liveCount--;
    this.liveBytes -= s.bytes;
    if (s.delivered) return;
    if (this.dlq.add({ stored: s, reason, at: now })) {
      this.markers.push(recordLine({ t: 'x', s: s.seq, r: reason, at: now }));
      if (this.state === 'open') this.kick();
    }
  }

  // ---------------------------------------------------------------- dead letters

  listDeadLetters(options: DeadLetterListOptions = {}): Promise<DeadLetterPage> {
    try {
      this.assertOpen();
      this.sweep();
      const limit = clampLimit(options.limit);
      const type = options.eventType;
      const out = [];
      for (const entry of this.dlq.values()) {
        if (type && type !== '*' && entry.stored.event.event_type !== type) continue;
        if (options.issueScope !== undefined && !inIssueScope(entry.stored.event, options.issueScope)) continue;
        if (out.length === limit) break;
        out.push(toDeadLetter(entry));
      }
      return Promise.resolve({ dead_letters: out, total: this.dlq.size });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  getDeadLetter(eventId: string): Promise<DeadLetter | undefined> {
    try {
      this.assertOpen();
      const entry = this.dlq.get(eventId);
      return Promise.resolve(entry ? toDeadLetter(entry) : undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async redriveDeadLetter(eventId: string): Promise<PublishResult> {
    this.assertOpen();
    // Taken out first so two concurrent redrives of one letter cannot publish it twice.
    const entry = this.dlq.delete(eventId);
    if (!entry) throw new NotFoundError('No dead letter with that event id', { event_id: eventId });
    const e = entry.stored.event;
    let result: PublishResult;
    try {
      result = await this.publish({
        event_type: e.event_type, publisher: e.publisher, topic: e.topic, data: e.data,
        correlation_id: e.correlation_id, ttl_seconds: e.ttl_seconds,
      });
    } catch (err) {
      this.dlq.add(entry);
      throw err;
    }
    await this.persistMarker(recordLine({ t: 'r', s: [entry.stored.seq] }));
    return result;
  }

  async purgeDeadLetters(): Promise<number> {
    this.assertOpen();
    const removed: DeadLetterEntry[] = this.dlq.clear();
    if (removed.length > 0) await this.persistMarker(recordLine({ t: 'r', s: removed.map((e) => e.stored.seq) }));
    return removed.length;
  }

  /** Queue a journal line and wait until the write loop wrote it. */
  private async persistMarker(line: string): Promise<void> {
    this.markers.push(line);
    this.kick();
    while (this.flushing) await this.flushing;
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
    const parts: Buffer[] = [Buffer.from(recordLine({ t: 'h', v: 1, epoch: this.epoch, head: this.head, at: this.now() }))];
    for (const entry of this.dlq.values()) {
      parts.push(Buffer.from(entry.stored.line), Buffer.from(recordLine({ t: 'x', s: entry.stored.seq, r: entry.reason, at: entry.at })));
    }
    const delivered: number[] = [];
    for (const s of this.ring.values()) {
      if (s.removed) continue;
      parts.push(Buffer.from(s.line));
      if (s.delivered) delivered.push(s.seq);
    }
    if (delivered.length > 0) parts.push(Buffer.from(recordLine({ t: 'd', s: delivered })));
    this.markers = [];
    this.deliveredPending = [];
    try {
      await this.journal.rewriteBuffer(Buffer.concat(parts));
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
      this.logger?.warn({ torn_bytes: report.tornBytes, corrupt_lines: report.corruptLines, file: this.journal.file },
        'event journal repaired at open');
    }
    let rewrite = report.corruptLines > 0;
    if (replay.header) {
      this.epoch = replay.header.epoch;
    } else {
      this.epoch = newEpoch(now);
      // An existing journal without a readable header: its cursors cannot be trusted any more.
      rewrite ||= !report.created;
    }
    let head = replay.header?.head ?? 0;
    for (const s of replay.events.keys()) if (s > head) head = s;
    this.head = head;

    const toStored = (rec: EventRecord, line: string): StoredEvent => ({
      seq: rec.s,
      event: {
        event_id: formatEventId(this.epoch, rec.s), event_type: rec.ty, publisher: rec.pb, topic: rec.tp, data: rec.d,
        timestamp: new Date(rec.at).toISOString(), correlation_id: rec.c, ttl_seconds: rec.ttl,
      },
      line,
      bytes: Buffer.byteLength(line, 'utf8'),
      expiresAt: this.expiryOf(rec.at, rec.ttl),
      delivered: replay.delivered.has(rec.s),
      removed: false,
    });

    for (const [seq, d] of replay.dead) {
      const e = replay.events.get(seq);
      if (e) this.dlq.add({ stored: { ...toStored(e.rec, e.line), removed: true }, reason: d.reason, at: d.at });
    }
    const live: StoredEvent[] = [];
    const sorted = [...replay.events.values()].sort((a, b) => a.rec.s - b.rec.s);
    for (const { rec, line } of sorted) {
      if (replay.dead.has(rec.s)) continue;
      const s = toStored(rec, line);
      live.push(s);
    }
    for (const s of live) {
      this.ring.push(s);
      this.expiry.add(s);
      this.liveCount++;
      this.liveBytes += s.bytes;
    }
    // Whatever expired or overflowed while the sidecar was down leaves now, as it would have.
    this.sweep();
    this.enforceCapacity(now);

    if (!replay.header && report.created) {
      this.journal.append(recordLine({ t: 'h', v: 1, epoch: this.epoch, head: this.head, at: now }));
      await this.journal.sync();
    }
    if (rewrite || this.shouldCompact()) await this.compact();
    this.state = 'open';
    if (this.hasWork()) this.kick();
    this.logger?.info({
      epoch: this.epoch, head: this.head, buffered: this.liveCount, dead_letters: this.dlq.size,
      clean_close: report.cleanClose, journal_bytes: this.journal.size,
    }, 'event bus opened');
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

  // ---------------------------------------------------------------- observability & lifecycle

  stats(): EventBusStats {
    return {
      total_published: this.counters.published,
      total_delivered: this.counters.delivered,
      active_subscriptions: this.waiters.size,
      queue_depth: this.liveCount,
      avg_delivery_time_ms: this.counters.avgLatencyMs(),
      dead_letter_queue_size: this.dlq.size,
    };
  }

  health(): EventBusHealth {
    if (this.state !== 'open' || this.journal.isBroken) return 'down';
    if (this.lastWriteErrorAt > 0 && this.now() - this.lastWriteErrorAt < WRITE_ERROR_DEGRADED_MS) return 'degraded';
    if (this.waiters.size >= 0.9 * this.waiters.totalCap) return 'degraded';
    return 'ok';
  }

  onPublished(listener: PublishedListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    this.state = 'closing';
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.syncTimer) clearInterval(this.syncTimer);
    // Answer every wait first: they must not sit through the journal flush.
    for (const w of this.waiters.all()) {
      if (this.waiters.remove(w)) this.answer(w, this.timeoutPage());
    }
    while (this.flushing) await this.flushing;
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

  private assertOpen(): void {
    if (this.state !== 'open') throw new EventBusUnavailableError('Event bus is shutting down');
    if (this.journal.isBroken) throw new EventBusUnavailableError('Event journal is unusable after a failed write');
  }
}

interface Selection {
  eventType: string;
  topic: string | undefined;
  filter: EventFilter;
  issueScope: string | undefined;
}

function matchesWaiter(w: Selection, e: BusEvent): boolean {
  return (w.eventType === '*' || w.eventType === e.event_type) && (w.topic === undefined || w.topic === e.topic) &&
    (w.filter.length === 0 || matchesFilter(e, w.filter)) && (w.issueScope === undefined || inIssueScope(e, w.issueScope));
}

/** Events about another issue are invisible to an issue-scoped token; events about no issue are not. */
function inIssueScope(e: BusEvent, issue: string): boolean {
  const own = Object.hasOwn(e.data, 'issue_id') ? e.data.issue_id : undefined;
  return own === undefined || own === null || String(own) === issue;
}

function checkWaitType(type: string): string {
  if (type === '*' || (typeof type === 'string' && EVENT_NAME_PATTERN.test(type))) return type;
  throw new InvalidEventError(`event_type must be * or ${EVENT_NAME_MESSAGE.replace('must ', '')}`, { event_type: type });
}

function checkTopic(topic: string | undefined): string | undefined {
  if (topic === undefined || topic === '') return undefined;
  if (EVENT_NAME_PATTERN.test(topic)) return topic;
  throw new InvalidEventError(`topic ${EVENT_NAME_MESSAGE}`, { topic });
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isFinite(limit)) throw new InvalidEventError('limit must be a number in 1..1000');
  return Math.min(Math.max(1, Math.floor(limit)), MAX_LIMIT);
}

/** Shorten by up to 2% (≤ 250 ms) so waits started together do not all reconnect together. */
function jitter(ms: number): number {
  return ms - Math.floor(Math.random() * Math.min(MAX_JITTER_MS, ms * 0.02));
}

/** `<storage>/events`: where the embedded bus keeps its journal. */
export function journalDir(storageDir: string): string {
  return path.join(storageDir, 'events');
}
