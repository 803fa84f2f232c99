/**
 * The event bus contract (spec §4 "events" and "dead letters"), independent of the backend.
 *
 * One implementation of the policy exists, `EventBusCore` (validation, selection and issue scope,
 * clamps, wait caps, waiters, fan-out, stats); the storage under it is an `EventLog`
 * (`event-log.ts`): the embedded ring + journal, or Redis Streams. Wire-shaped
 * objects use the contract's snake_case field names so routes can answer them as they are;
 * options use camelCase.
 *
 * Cursor model: every event id is also a cursor ("everything after this event"), opaque outside
 * the log. Ids carry the epoch of the stream that minted them, so a cursor from a stream that was
 * wiped or replaced is recognised and answered with `CursorExpiredError` (410 EVT_003) instead of
 * silently skipping or repeating events. Sidecars sharing one stream share its cursors.
 */

/** One event as it appears on the wire. */
export interface BusEvent {
  readonly event_id: string;
  readonly event_type: string;
  readonly publisher: string;
  readonly topic: string;
  readonly data: Record<string, unknown>;
  /** ISO 8601 time the event became durable and visible. */
  readonly timestamp: string;
  readonly correlation_id: string | null;
  readonly ttl_seconds: number;
}

export interface PublishInput {
  /** Not `*` (reserved for waits). */
  event_type: string;
  /** Who publishes; the route fills in the token's `sub` when absent. */
  publisher: string;
  /** Default `coordination`. */
  topic?: string;
  data?: Record<string, unknown>;
  correlation_id?: string | null;
  /** 1..86400, default 86400; never longer than the configured retention. */
  ttl_seconds?: number;
}

export interface PublishResult {
  event: BusEvent;
  /** Distinct subscriber ids (token `sub`) of the waiters this event woke. */
  subscribers_notified: string[];
  /** Number of waiters this event woke (one subscriber may hold several waits). */
  subscriber_count: number;
}

export interface WaitOptions {
  /** An event type, or `*` for every type. */
  eventType: string;
  /** Reported in `subscribers_notified` of the publishes that wake this wait (token `sub`). */
  subscriberId: string;
  /** Key the per-subscriber cap counts on (e.g. the token's jti); defaults to `subscriberId`. */
  capKey?: string;
  /** Milliseconds; clamped to [0, events.max_wait_timeout_ms]; default events.default_wait_timeout_ms. */
  timeoutMs?: number;
  /** `field:value[,field:value]`, all must match; fields looked up in `data`, then top level. */
  filter?: string;
  topic?: string;
  /** An event id / cursor, or `now` for future events only. Absent: replay buffered matches. */
  since?: string;
  /** 1..1000, default 100. */
  limit?: number;
  /** Aborting frees the wait at once (closed socket); the promise then resolves as a timeout. */
  signal?: AbortSignal;
  /** Token limited to one issue (spec §2): events whose `data.issue_id` names another issue stay invisible. */
  issueScope?: string;
}

/** A page of events; `next_cursor` is always a string, also when `events` is empty. */
export interface EventPage {
  events: BusEvent[];
  more_available: boolean;
  next_cursor: string;
}

export interface WaitResult extends EventPage {
  /** Present (true) when the wait ended without a matching event. */
  timeout?: true;
}

export interface ListOptions {
  /** Event type or `*` (default). */
  eventType?: string;
  topic?: string;
  filter?: string;
  since?: string;
  limit?: number;
  /** As in `WaitOptions.issueScope`. */
  issueScope?: string;
}

export type DeadLetterReason = 'expired' | 'evicted';

/** An event that left the buffer without ever being delivered to a waiter. */
export interface DeadLetter extends BusEvent {
  readonly reason: DeadLetterReason;
  readonly dead_lettered_at: string;
}

export interface DeadLetterListOptions {
  eventType?: string;
  /** Default 100, max 1000; oldest first. */
  limit?: number;
  /** As in `WaitOptions.issueScope`. */
  issueScope?: string;
}

export interface DeadLetterPage {
  dead_letters: DeadLetter[];
  /** Size of the whole queue (not only this page). */
  total: number;
}

/** Exactly the `/status` `events` fields (spec §4), measured. */
export interface EventBusStats {
  total_published: number;
  /** Event deliveries to waiters (one event answered to three waiters counts three). */
  total_delivered: number;
  /** Waits currently blocked. */
  active_subscriptions: number;
  /** Events in the buffer. */
  queue_depth: number;
  /** Mean of the last 1,024 publish → waiter-answered latencies of live (not replayed) deliveries. */
  avg_delivery_time_ms: number;
  dead_letter_queue_size: number;
}

export type EventBusHealth = 'ok' | 'degraded' | 'down';

export interface EventBusHealthNotes {
  /** Set when the storage is not 'ok'. */
  reason?: string;
  warnings: string[];
}

/** Called synchronously for every event once it is durable and visible. Must be cheap. */
export type PublishedListener = (event: BusEvent) => void;

/**
 * The bus. Every method throws `EventBusUnavailableError` (503 EVT_001) once closed or when the
 * backend cannot work, `InvalidEventError` (400 EVT_002) for bad input, `CursorExpiredError`
 * (410 EVT_003) for expired cursors or cursors of another epoch, `RateLimitError` (429 RATE_001) over the wait caps.
 *
 * @example
 * const bus = await createEventBus({ config, storageDir: config.storage_path });
 * const { event } = await bus.publish({ event_type: 'build_done', publisher: 'ci', data: { ok: true } });
 * const page = await bus.wait({ eventType: 'build_done', subscriberId: 'qa-1', since: 'now', timeoutMs: 30_000 });
 * await bus.close();
 */
export interface EventBus {
  /** Resolves once the event is durable (per the fsync policy) and every matching waiter was answered. */
  publish(input: PublishInput): Promise<PublishResult>;
  /** Long-poll: answers at once when matching events exist after the cursor, else blocks. */
  wait(options: WaitOptions): Promise<WaitResult>;
  /** Same selection as `wait` but never blocks. Does not count as a delivery. */
  list(options?: ListOptions): Promise<EventPage>;
  listDeadLetters(options?: DeadLetterListOptions): Promise<DeadLetterPage>;
  /** One dead letter by its event id, or undefined. */
  getDeadLetter(eventId: string): Promise<DeadLetter | undefined>;
  /** Publishes the dead letter again (new id) and removes it from the queue; `NotFoundError` if absent. */
  redriveDeadLetter(eventId: string): Promise<PublishResult>;
  /** Empties the queue; resolves to the number removed. */
  purgeDeadLetters(): Promise<number>;
  stats(): EventBusStats;
  health(): EventBusHealth;
  /** Why the bus is not 'ok', and durability warnings (e.g. Redis without appendonly); no secrets. */
  healthNotes(): EventBusHealthNotes;
  /** Observe published events in-process; returns the unsubscribe function. */
  onPublished(listener: PublishedListener): () => void;
  /** True when `text` is shaped like a cursor of this bus (it may still have expired): for edge validation. */
  isCursor(text: string): boolean;
  /** Answers every pending wait (as a timeout with a valid cursor), then flushes and syncs the journal. Idempotent. */
  close(): Promise<void>;
}
