import { z } from 'zod';
import { eventName, printable } from './ids.js';

/** Events and dead letters (spec §4 `POST /api/events/:event_type`, waits, lists, dead letters). */

/** A wait or list may name every type with `*`. */
export const waitEventType = z.union([z.literal('*'), eventName]);
const cursor = z.string().min(1).max(128);
const limit = z.coerce.number().int().min(1).max(1000);
/** `field:value[,field:value]`; its syntax is checked by the bus (400 EVT_002, spec §1). */
const filter = z.string().max(2048);

export const publishParams = z.object({ event_type: eventName });
export const publishBody = z.strictObject({
  publisher: printable(256).optional(),
  topic: eventName.optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  correlation_id: printable(256).nullable().optional(),
  ttl_seconds: z.number().int().min(1).max(86_400).optional(),
  // Checked against the path by the events service (EVT_002 when it differs).
  event_type: z.string().optional(),
});

export const waitParams = z.object({ event_type: waitEventType });
export const waitQuery = z.strictObject({
  // Clamped by the bus to [0, events.max_wait_timeout_ms], not rejected (spec: timeouts clamped).
  timeout: z.coerce.number().int().min(0).optional(),
  filter: filter.optional(),
  topic: eventName.optional(),
  since: cursor.optional(),
  limit: limit.optional(),
});

export const listEventsQuery = z.strictObject({
  type: waitEventType.optional(),
  topic: eventName.optional(),
  filter: filter.optional(),
  since: cursor.optional(),
  limit: limit.optional(),
});

/** `GET /api/events/stream` (spec §9); `timeout` ends the stream after that many ms (a bounded read). */
export const streamEventsQuery = z.strictObject({
  type: waitEventType.optional(),
  topic: eventName.optional(),
  filter: filter.optional(),
  since: cursor.optional(),
  timeout: z.coerce.number().int().min(0).max(86_400_000).optional(),
});

export const deadLetterQuery = z.strictObject({ type: waitEventType.optional(), limit: limit.optional() });
/**
 * An event id is opaque here (its format belongs to the bus's log, which checks it): the wire
 * only requires a path-safe token.
 */
export const eventIdParams = z.object({ event_id: cursor.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be an event id') });

export const eventSchema = z.object({
  event_id: z.string(),
  event_type: z.string(),
  publisher: z.string(),
  topic: z.string(),
  data: z.record(z.string(), z.unknown()),
  timestamp: z.string(),
  correlation_id: z.string().nullable(),
  ttl_seconds: z.number(),
});
export const publishedSchema = z.object({
  event_id: z.string(),
  published: z.literal(true),
  subscribers_notified: z.array(z.string()),
  subscriber_count: z.number(),
  timestamp: z.string(),
  topic: z.string(),
  ttl_seconds: z.number(),
});
export const redrivenSchema = publishedSchema.extend({ redriven_from: z.string() });
export const waitPageSchema = z.object({
  events: z.array(eventSchema),
  more_available: z.boolean(),
  next_cursor: z.string(),
  timeout: z.literal(true).optional(),
  timestamp: z.string(),
});
export const eventPageSchema = waitPageSchema.omit({ timeout: true });
export const deadLetterSchema = eventSchema.extend({ reason: z.enum(['expired', 'evicted']), dead_lettered_at: z.string() });
export const deadLetterPageSchema = z.object({ dead_letters: z.array(deadLetterSchema), total: z.number(), timestamp: z.string() });
export const purgedSchema = z.object({ purged: z.number(), timestamp: z.string() });

export type PublishEventParams = z.output<typeof publishParams>;
export type PublishEventBody = z.output<typeof publishBody>;
export type PublishEventRequest = z.input<typeof publishBody>;
export type PublishEventResponse = z.output<typeof publishedSchema>;
export type RedriveResponse = z.output<typeof redrivenSchema>;
export type WaitEventsQuery = z.output<typeof waitQuery>;
export type ListEventsQuery = z.output<typeof listEventsQuery>;
export type StreamEventsQuery = z.output<typeof streamEventsQuery>;
export type DeadLetterQuery = z.output<typeof deadLetterQuery>;
export type WireEvent = z.output<typeof eventSchema>;
export type WaitPage = z.output<typeof waitPageSchema>;
export type EventPageBody = z.output<typeof eventPageSchema>;
export type DeadLetterPageBody = z.output<typeof deadLetterPageSchema>;
export type PurgedResponse = z.output<typeof purgedSchema>;
