import { performance } from 'node:perf_hooks';
import type { Config } from '../config/schema.js';
import { EventBusUnavailableError, NotFoundError } from '../errors/index.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { DeliveryStats } from './delivery-stats.js';
import type {
  BusEvent,
  DeadLetter,
  DeadLetterListOptions,
  DeadLetterPage,
  EventBus,
  EventBusHealth,
  EventBusHealthNotes,
  EventBusStats,
  EventPage,
  ListOptions,
  PublishedListener,
  PublishInput,
  PublishResult,
  WaitOptions,
  WaitResult,
} from './event-bus.js';
import { parseFilter } from './event-filter.js';
import type { AppendRecord, EventLog, LogEntry, LogPage } from './event-log.js';
import { checkTopic, checkWaitType, clampLimit, clampTimeout, inIssueScope, jitter, matchesSelection, type Selection } from './event-selection.js';
import { toAppendRecord } from './publish-validation.js';
import { WaiterRegistry, type Waiter } from './waiter-registry.js';

export interface EventBusCoreOptions {
  /** The `events` section of the config. */
  events: Config['events'];
  logger?: ComponentLogger;
}

/** A wait between its validation and its registration. */
interface PendingWait {
  readonly options: WaitOptions;
  readonly selection: Selection;
  readonly limit: number;
  readonly subscriberId: string;
  readonly capKey: string;
  readonly match: (event: BusEvent) => boolean;
}

/** A publish of this process between `append` and its answer. */
interface LocalPublish {
  /** performance.now() at the publish call, for the delivery latency. */
  readonly startedAt: number;
  subs: Set<string> | undefined;
  count: number;
}

/**
 * The event bus policy, the same over every `EventLog`: validation, selection and issue scope,
 * clamps, wait caps, the waits blocked in this process, fan-out, dead-letter rule and stats.
 *
 * Fan-out runs inside the log's `appended` notification, which a log calls once a batch is
 * durable and before the publishers' promises resolve: every matching waiter is answered in one
 * pass per batch, and a waiter never sees an event that a crash could take back.
 *
 * A wait reads the log and registers only if nothing matched. With a log that reads from memory
 * both happen in one synchronous step, so no event can slip in between. With a log that reads
 * over the network the core re-reads when the head moved during the read; the head check and
 * the registration run without an await in between.
 */
export class EventBusCore implements EventBus {
  private readonly cfg: Config['events'];
  private readonly logger: ComponentLogger | undefined;
  private readonly waiters: WaiterRegistry;
  private readonly counters = new DeliveryStats();
  private readonly listeners = new Set<PublishedListener>();
  private readonly local = new Map<AppendRecord, LocalPublish>();
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closePromise: Promise<void> | undefined;

  constructor(
    private readonly log: EventLog,
    options: EventBusCoreOptions,
  ) {
    this.cfg = options.events;
    this.logger = options.logger;
    this.waiters = new WaiterRegistry({ perKey: this.cfg.max_waits_per_token, total: this.cfg.max_waits_total });
    log.attach({
      appended: (batch) => this.onAppended(batch),
      // The dead-letter rule: an event that leaves the log without ever reaching a waiter.
      trimmed: (entry, reason, at) => {
        if (!entry.delivered) log.addDeadLetter(entry, reason, at);
      },
      interrupted: () => this.answerAllWaits(),
    });
  }

  // ---------------------------------------------------------------- publish

  publish(input: PublishInput): Promise<PublishResult> {
    try {
      const startedAt = performance.now();
      this.assertOpen();
      const record = toAppendRecord(input, this.cfg.max_event_bytes);
      const local: LocalPublish = { startedAt, subs: undefined, count: 0 };
      this.local.set(record, local);
      return this.log.append(record).then(
        (entry) => {
          this.local.delete(record);
          return { event: entry.event, subscribers_notified: local.subs ? [...local.subs] : [], subscriber_count: local.count };
        },
        (err: unknown) => {
          this.local.delete(record);
          throw err;
        },
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private onAppended(batch: ReadonlyArray<{ readonly entry: LogEntry; readonly record: AppendRecord | undefined }>): void {
    this.counters.published += batch.length;
    if (this.waiters.size > 0) this.fanOut(batch);
    if (this.listeners.size === 0) return;
    for (const { entry } of batch) {
      for (const fn of this.listeners) {
        try {
          fn(entry.event);
        } catch (err) {
          this.logger?.warn({ err }, 'event listener threw');
        }
      }
    }
  }

  /** Answer every blocked wait that matches something in the batch, all in this one pass. */
  private fanOut(batch: ReadonlyArray<{ readonly entry: LogEntry; readonly record: AppendRecord | undefined }>): void {
    const types = new Set<string>();
    for (const b of batch) types.add(b.entry.event.event_type);
    const candidates = this.waiters.candidates(types);
    if (candidates.length === 0) return;
    const t = performance.now();
    for (const w of candidates) {
      const matched: LogEntry[] = [];
      const indexes: number[] = [];
      let more = false;
      for (let i = 0; i < batch.length; i++) {
        if (!matchesSelection(w, batch[i]!.entry.event)) continue;
        if (matched.length === w.limit) {
          more = true;
          break;
        }
        matched.push(batch[i]!.entry);
        indexes.push(i);
      }
      if (matched.length === 0 || !this.waiters.remove(w)) continue;
      for (const i of indexes) {
        const record = batch[i]!.record;
        const local = record && this.local.get(record);
        if (!local) continue;
        (local.subs ??= new Set()).add(w.subscriberId);
        local.count++;
        this.counters.recordLatency(t - local.startedAt);
      }
      this.answer(w, this.deliver(matched, more));
    }
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

  private startWait(o: WaitOptions): Promise<WaitResult> {
    this.assertOpen();
    const selection: Selection = {
      eventType: checkWaitType(o.eventType),
      topic: checkTopic(o.topic),
      filter: parseFilter(o.filter),
      issueScope: o.issueScope,
    };
    const wait: PendingWait = {
      options: o,
      selection,
      limit: clampLimit(o.limit),
      subscriberId: String(o.subscriberId),
      capKey: o.capKey ?? String(o.subscriberId),
      match: (e) => matchesSelection(selection, e),
    };
    this.waiters.assertCapacity(wait.capKey);
    return this.readForWait(wait, this.startCursor(o.since));
  }

  /** Synchronous all the way to the registration when the log reads synchronously. */
  private readForWait(wait: PendingWait, after: string | undefined): Promise<WaitResult> {
    const page = this.log.read({ after, match: wait.match, limit: wait.limit });
    if (page instanceof Promise) return page.then((p) => this.afterRead(wait, p));
    return this.afterRead(wait, page);
  }

  private afterRead(wait: PendingWait, page: LogPage): Promise<WaitResult> {
    if (page.entries.length > 0) return Promise.resolve(this.deliver(page.entries, page.more, page.nextCursor));
    const o = wait.options;
    const timeoutMs = clampTimeout(o.timeoutMs, this.cfg.default_wait_timeout_ms, this.cfg.max_wait_timeout_ms);
    if (timeoutMs === 0 || o.signal?.aborted || this.state !== 'open') return Promise.resolve(this.timeoutPage(page.nextCursor));
    // Something was appended while an asynchronous read was under way: read again from where it stopped.
    if (this.log.headCursor() !== page.nextCursor) return this.readForWait(wait, page.nextCursor);
    this.waiters.assertCapacity(wait.capKey);
    return this.register(o, wait.selection, wait.limit, wait.subscriberId, wait.capKey, timeoutMs);
  }

  private register(o: WaitOptions, selection: Selection, limit: number, subscriberId: string, capKey: string, timeoutMs: number): Promise<WaitResult> {
    return new Promise<WaitResult>((resolve) => {
      // A literal of one shape (no spread): waiters are created on every wait, read on every publish.
      const w: Waiter = {
        eventType: selection.eventType,
        topic: selection.topic,
        filter: selection.filter,
        issueScope: selection.issueScope,
        limit,
        subscriberId,
        capKey,
        settle: resolve,
      };
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
      const selection: Selection = {
        eventType: checkWaitType(options.eventType ?? '*'),
        topic: checkTopic(options.topic),
        filter: parseFilter(options.filter),
        issueScope: options.issueScope,
      };
      const limit = clampLimit(options.limit);
      const page = this.log.read({ after: this.startCursor(options.since), match: (e) => matchesSelection(selection, e), limit });
      if (page instanceof Promise) return page.then((p) => this.page(p.entries, p.more, p.nextCursor));
      return Promise.resolve(this.page(page.entries, page.more, page.nextCursor));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** `now` = the head; absent or empty = everything the log holds. */
  private startCursor(since: string | undefined): string | undefined {
    if (since === undefined || since === '') return undefined;
    return since === 'now' ? this.log.headCursor() : since;
  }

  private page(entries: readonly LogEntry[], more: boolean, nextCursor?: string): EventPage {
    // Without more matches the reader has seen everything up to the head: jump there, so the
    // next call does not rescan events that did not match.
    const cursor = nextCursor ?? (more ? entries[entries.length - 1]!.event.event_id : this.log.headCursor());
    return { events: entries.map((e) => e.event), more_available: more, next_cursor: cursor };
  }

  /** A page answered to a waiter: counts as a delivery (the events will never be dead letters). */
  private deliver(entries: readonly LogEntry[], more: boolean, nextCursor?: string): WaitResult {
    this.log.markDelivered(entries);
    this.counters.delivered += entries.length;
    return this.page(entries, more, nextCursor);
  }

  private timeoutPage(cursor = this.log.headCursor()): WaitResult {
    return { events: [], more_available: false, next_cursor: cursor, timeout: true };
  }

  // ---------------------------------------------------------------- dead letters

  listDeadLetters(options: DeadLetterListOptions = {}): Promise<DeadLetterPage> {
    try {
      this.assertOpen();
      const limit = clampLimit(options.limit);
      const type = options.eventType;
      const out: DeadLetter[] = [];
      for (const letter of this.log.deadLetters()) {
        if (type && type !== '*' && letter.event_type !== type) continue;
        if (options.issueScope !== undefined && !inIssueScope(letter.data, options.issueScope)) continue;
        if (out.length === limit) break;
        out.push(letter);
      }
      return Promise.resolve({ dead_letters: out, total: this.log.deadLetterCount() });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  getDeadLetter(eventId: string): Promise<DeadLetter | undefined> {
    try {
      this.assertOpen();
      return Promise.resolve(this.log.getDeadLetter(eventId));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async redriveDeadLetter(eventId: string): Promise<PublishResult> {
    this.assertOpen();
    // Taken out first so two concurrent redrives of one letter cannot publish it twice.
    const letter = this.log.takeDeadLetter(eventId);
    if (!letter) throw new NotFoundError('No dead letter with that event id', { event_id: eventId });
    let result: PublishResult;
    try {
      result = await this.publish({
        event_type: letter.event_type,
        publisher: letter.publisher,
        topic: letter.topic,
        data: letter.data,
        correlation_id: letter.correlation_id,
        ttl_seconds: letter.ttl_seconds,
      });
    } catch (err) {
      this.log.restoreDeadLetter(letter);
      throw err;
    }
    await this.log.forgetDeadLetters([letter]);
    return result;
  }

  async purgeDeadLetters(): Promise<number> {
    this.assertOpen();
    const removed = this.log.takeAllDeadLetters();
    if (removed.length > 0) await this.log.forgetDeadLetters(removed);
    return removed.length;
  }

  // ---------------------------------------------------------------- observability & lifecycle

  stats(): EventBusStats {
    return {
      total_published: this.counters.published,
      total_delivered: this.counters.delivered,
      active_subscriptions: this.waiters.size,
      queue_depth: this.log.depth(),
      avg_delivery_time_ms: this.counters.avgLatencyMs(),
      dead_letter_queue_size: this.log.deadLetterCount(),
    };
  }

  health(): EventBusHealth {
    if (this.state !== 'open') return 'down';
    const storage = this.log.health();
    if (storage !== 'ok') return storage;
    return this.waiters.size >= 0.9 * this.waiters.totalCap ? 'degraded' : 'ok';
  }

  healthNotes(): EventBusHealthNotes {
    if (this.state !== 'open') return { reason: 'event bus closed', warnings: [] };
    const notes = this.log.healthNotes();
    if (notes.reason === undefined && this.waiters.size >= 0.9 * this.waiters.totalCap) {
      return { ...notes, reason: 'blocked waits near max_waits_total' };
    }
    return notes;
  }

  onPublished(listener: PublishedListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  isCursor(text: string): boolean {
    return this.log.isCursor(text);
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    this.state = 'closing';
    // Answer every wait first: they must not sit through the log's flush.
    this.answerAllWaits();
    try {
      await this.log.close();
    } finally {
      this.state = 'closed';
    }
  }

  /** Every blocked wait answered as a timeout with the head cursor (a valid place to continue). */
  private answerAllWaits(): void {
    for (const w of this.waiters.all()) {
      if (this.waiters.remove(w)) this.answer(w, this.timeoutPage());
    }
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new EventBusUnavailableError('Event bus is shutting down');
    this.log.assertWritable();
  }
}
