import type { BusEvent, DeadLetter, DeadLetterReason, EventBusHealth, EventBusHealthNotes } from './event-bus.js';

/**
 * The storage primitive under the event bus (the rate limiter's pattern: the policy is shared in
 * `EventBusCore`, a small store is injected): the embedded ring + journal (`EmbeddedEventLog`)
 * and Redis Streams (`RedisEventLog`: a Lua INCR + XADD for `append`, a checked XRANGE for
 * `read`, one XREAD BLOCK loop per sidecar feeding `sink.appended`, trimming and expiry feeding
 * `sink.trimmed`). Several sidecars may share one stream: a cursor minted by another sidecar on
 * the same stream is a valid cursor.
 *
 * Cursors are opaque to the core: only the log mints, parses and orders them. A cursor means
 * "everything after this event"; every event id is also a cursor.
 */

/** An event as the log hands it to the core. Backends extend it with their own bookkeeping. */
export interface LogEntry {
  readonly event: BusEvent;
  /** Delivered to at least one waiter (then it never becomes a dead letter). */
  readonly delivered: boolean;
}

/** One validated publish, as the core hands it to the log. */
export interface AppendRecord {
  readonly type: string;
  readonly topic: string;
  readonly publisher: string;
  readonly correlationId: string | null;
  readonly ttlSeconds: number;
  /** `data` serialised once; the log stores this text, never re-serialises `data`. */
  readonly dataJson: string;
  readonly data: Record<string, unknown>;
}

/** Called by the log; both run synchronously inside the log's own bookkeeping. */
export interface EventLogSink {
  /**
   * A batch became durable and visible, in sequence order, before the `append` promises of its
   * records resolve. `record` is the object this process passed to `append`; it is undefined for
   * events another writer of a shared stream appended.
   */
  appended(batch: ReadonlyArray<{ readonly entry: LogEntry; readonly record: AppendRecord | undefined }>): void;
  /** An entry left the log: its TTL ran out, or the log trimmed it to stay within capacity. */
  trimmed(entry: LogEntry, reason: DeadLetterReason, atMs: number): void;
  /**
   * The storage stopped answering (a lost Redis connection): blocked waits are answered now, as
   * timeouts with the head cursor, instead of hanging until their timeout on a stream that
   * cannot move. Logs that cannot lose their storage never call it.
   */
  interrupted?(): void;
}

export interface LogReadOptions {
  /** A cursor; undefined = from the oldest event the log still holds. */
  after: string | undefined;
  match: (event: BusEvent) => boolean;
  /** At most this many entries; `more` tells whether further matches exist. */
  limit: number;
}

export interface LogPage {
  entries: LogEntry[];
  more: boolean;
  /** Continue from here: the last entry returned when `more`, else the head seen by this read. */
  nextCursor: string;
}

/**
 * An append-only log of events with contiguous sequence numbers, opaque cursors and dead letters.
 *
 * Errors: `InvalidEventError` (400 EVT_002) for text that is not shaped like a cursor;
 * `CursorExpiredError` (410 EVT_003, with the oldest cursor) for a cursor of another epoch (a
 * wiped or replaced stream), one whose successors were trimmed, or one ahead of the head;
 * `EventBusUnavailableError` (503 EVT_001) when the storage cannot be written.
 */
export interface EventLog {
  /** Names this stream's incarnation; it changes when the stored stream is lost. */
  readonly epoch: string;
  /** Start delivering notifications; called once by the core before any other call. */
  attach(sink: EventLogSink): void;
  /**
   * Durably append one event. Concurrent appends may share one durable write; sequence numbers
   * are contiguous and visibility follows sequence order.
   */
  append(record: AppendRecord): Promise<LogEntry>;
  /**
   * Matching entries after a cursor. A log that can answer from memory answers synchronously:
   * the core then registers an empty wait in the same tick, so a wait started before a publish
   * always sees it. A log that must ask a server returns a promise; the core then re-reads when
   * the head moved meanwhile.
   */
  read(options: LogReadOptions): LogPage | Promise<LogPage>;
  /** The cursor of the newest visible event (or of the empty stream). */
  headCursor(): string;
  /** The cursor just before the oldest event still held: reading after it misses nothing. */
  oldestCursor(): string;
  /** True when `text` is shaped like one of this log's cursors (it may still have expired). */
  isCursor(text: string): boolean;
  /** Record that these entries were answered to a waiter. */
  markDelivered(entries: readonly LogEntry[]): void;
  /** Number of events held. */
  depth(): number;

  /** Keep `entry` as a dead letter (the queue is bounded: the oldest letter makes room). */
  addDeadLetter(entry: LogEntry, reason: DeadLetterReason, atMs: number): void;
  /** Dead letters oldest first. */
  deadLetters(): Iterable<DeadLetter>;
  deadLetterCount(): number;
  getDeadLetter(eventId: string): DeadLetter | undefined;
  /** Take a dead letter out of the queue (in memory only; see `forgetDeadLetters`). */
  takeDeadLetter(eventId: string): DeadLetter | undefined;
  /** Put back a letter taken by `takeDeadLetter` whose redrive failed. */
  restoreDeadLetter(letter: DeadLetter): void;
  /** Persist that these taken letters are gone for good. */
  forgetDeadLetters(letters: readonly DeadLetter[]): Promise<void>;
  /** Take every dead letter out of the queue (in memory); pass them to `forgetDeadLetters`. */
  takeAllDeadLetters(): DeadLetter[];

  /** Storage health only (the core adds its own, e.g. waits near their cap). */
  health(): EventBusHealth;
  /** Why the storage is not 'ok', and durability warnings; no secrets. */
  healthNotes(): EventBusHealthNotes;
  /** Throws `EventBusUnavailableError` when nothing can be appended. */
  assertWritable(): void;
  /** Flush and release the storage. Idempotent. */
  close(): Promise<void>;
}
