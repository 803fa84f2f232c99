import { z } from 'zod';
import type { AuthInfo } from '../auth/token-service.js';
import { EventBusUnavailableError, ForbiddenError, InvalidEventError } from '../errors/index.js';
import { isAdmin } from '../server/permissions.js';
import type { EventBus, EventPage, PublishResult, WaitResult } from './event-bus.js';
import { EVENT_NAME_PATTERN } from './event-names.js';

const NAME_MESSAGE = 'must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
export const eventName = z.string().regex(EVENT_NAME_PATTERN, NAME_MESSAGE);
/** An event type to wait for or list: a name, or `*` for every type. */
export const waitType = z.union([z.literal('*'), eventName]);
const cursor = z.string().min(1).max(128);
const limit = z.coerce.number().int().min(1).max(1000);
const printable = (max: number) => z.string().min(1).max(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'must be printable');

/** `POST /api/events/:event_type` body (the `publish_event` tool adds `event_type` from the path). */
export const publishEventBody = z.strictObject({
  publisher: printable(256).optional(),
  topic: eventName.optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  correlation_id: printable(256).nullable().optional(),
  ttl_seconds: z.number().int().min(1).max(86_400).optional(),
  event_type: z.string().optional(),
});

/** `GET /api/events/wait/:event_type` query. */
export const waitEventsQuery = z.strictObject({
  // Clamped by the bus to [0, events.max_wait_timeout_ms], not rejected (spec: timeouts clamped).
  timeout: z.coerce.number().int().min(0).optional(),
  filter: z.string().max(2048).optional(),
  topic: eventName.optional(),
  since: cursor.optional(),
  limit: limit.optional(),
});

/** `GET /api/events` query. */
export const listEventsQuery = z.strictObject({
  type: waitType.optional(),
  topic: eventName.optional(),
  filter: z.string().max(2048).optional(),
  since: cursor.optional(),
  limit: limit.optional(),
});

export const eventSchema = z.object({
  event_id: z.string(), event_type: z.string(), publisher: z.string(), topic: z.string(), data: z.record(z.string(), z.unknown()),
  timestamp: z.string(), correlation_id: z.string().nullable(), ttl_seconds: z.number(),
});
export const publishedSchema = z.object({
  event_id: z.string(), published: z.literal(true), subscribers_notified: z.array(z.string()), subscriber_count: z.number(),
  timestamp: z.string(), topic: z.string(), ttl_seconds: z.number(),
});
export const pageSchema = z.object({
  events: z.array(eventSchema), more_available: z.boolean(), next_cursor: z.string(), timeout: z.literal(true).optional(), timestamp: z.string(),
});

export type PublishedAnswer = z.infer<typeof publishedSchema>;

/** The 202 body of a publish. */
export function publishedBody(result: PublishResult): PublishedAnswer {
  return {
    event_id: result.event.event_id,
    published: true,
    subscribers_notified: result.subscribers_notified,
    subscriber_count: result.subscriber_count,
    timestamp: result.event.timestamp,
    topic: result.event.topic,
    ttl_seconds: result.event.ttl_seconds,
  };
}

function issueScopeOf(caller: AuthInfo): { issueScope?: string } {
  return caller.issue_id !== undefined ? { issueScope: caller.issue_id } : {};
}

/** The event selection shared by wait and list: only the query fields the caller gave. */
function selectionOf<F, S>(query: { topic?: string | undefined; filter?: F | undefined; since?: S | undefined; limit?: number | undefined }): {
  topic?: string; filter?: F; since?: S; limit?: number;
} {
  return {
    ...(query.topic !== undefined ? { topic: query.topic } : {}),
    ...(query.filter !== undefined ? { filter: query.filter } : {}),
    ...(query.since !== undefined ? { since: query.since } : {}),
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
  };
}

/**
 * The event use cases with the scoping of spec §2, for the HTTP routes and the MCP tools alike:
 * a non-admin publishes only as its own `sub` (an absent publisher is filled in); a token limited
 * to one issue neither publishes about nor sees events whose `data.issue_id` names another issue.
 */
export class EventsService {
  constructor(private readonly bus: () => EventBus | undefined) {}

  busOrFail(): EventBus {
    const bus = this.bus();
    if (!bus) throw new EventBusUnavailableError('Event bus is not available');
    return bus;
  }

  async publish(caller: AuthInfo, eventType: string, body: z.output<typeof publishEventBody>): Promise<PublishedAnswer> {
    if (body.event_type !== undefined && body.event_type !== eventType) {
      throw new InvalidEventError('event_type in the body must equal the one in the path', { path_event_type: eventType, body_event_type: body.event_type });
    }
    const publisher = body.publisher ?? caller.sub;
    if (publisher !== caller.sub && !isAdmin(caller)) {
      throw new ForbiddenError(`Token publishes only as '${caller.sub}'`, { token_sub: caller.sub });
    }
    const data = body.data ?? {};
    const issue = Object.hasOwn(data, 'issue_id') ? data.issue_id : undefined;
    if (caller.issue_id !== undefined && issue !== undefined && issue !== null && String(issue) !== caller.issue_id) {
      throw new ForbiddenError('Token is scoped to another issue', { token_issue_id: caller.issue_id });
    }
    const result = await this.busOrFail().publish({
      event_type: eventType,
      publisher,
      data,
      ...(body.topic !== undefined ? { topic: body.topic } : {}),
      ...(body.correlation_id !== undefined ? { correlation_id: body.correlation_id } : {}),
      ...(body.ttl_seconds !== undefined ? { ttl_seconds: body.ttl_seconds } : {}),
    });
    return publishedBody(result);
  }

  /** Long-poll; `next_cursor` is always a string, also on timeout. */
  async wait(caller: AuthInfo, eventType: string, query: z.output<typeof waitEventsQuery>, signal: AbortSignal): Promise<WaitResult & { timestamp: string }> {
    const result = await this.busOrFail().wait({
      eventType,
      subscriberId: caller.sub,
      capKey: caller.jti,
      signal,
      ...(query.timeout !== undefined ? { timeoutMs: query.timeout } : {}),
      ...selectionOf(query),
      ...issueScopeOf(caller),
    });
    return { ...result, timestamp: new Date().toISOString() };
  }

  async list(caller: AuthInfo, query: z.output<typeof listEventsQuery>): Promise<EventPage & { timestamp: string }> {
    const page = await this.busOrFail().list({
      ...(query.type !== undefined ? { eventType: query.type } : {}),
      ...selectionOf(query),
      ...issueScopeOf(caller),
    });
    return { ...page, timestamp: new Date().toISOString() };
  }

  async listDeadLetters(caller: AuthInfo, query: { type?: string | undefined; limit?: number | undefined }): Promise<Record<string, unknown>> {
    const page = await this.busOrFail().listDeadLetters({
      ...(query.type !== undefined ? { eventType: query.type } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
      ...issueScopeOf(caller),
    });
    return { ...page, timestamp: new Date().toISOString() };
  }
}
