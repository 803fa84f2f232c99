import { z } from 'zod';
import { EventBusUnavailableError, ForbiddenError, InvalidEventError, NotFoundError } from '../../errors/index.js';
import type { EventBus, PublishResult } from '../../events/event-bus.js';
import { EVENT_NAME_PATTERN } from '../../events/event-names.js';
import { isReservedEventType } from '../../events/reserved-event-types.js';
import type { AuthInfo } from '../../auth/token-service.js';
import type { AppDeps } from '../app-deps.js';
import type { AppRouterContext } from '../app-types.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf, isAdmin } from '../permissions.js';

const NAME_MESSAGE = 'must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
const eventName = z.string().regex(EVENT_NAME_PATTERN, NAME_MESSAGE);
const waitType = z.union([z.literal('*'), eventName]);
const cursor = z.string().min(1).max(128);
const limit = z.coerce.number().int().min(1).max(1000);
const printable = (max: number) => z.string().min(1).max(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'must be printable');

const publishBody = z.strictObject({
  publisher: printable(256).optional(),
  topic: eventName.optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  correlation_id: printable(256).nullable().optional(),
  ttl_seconds: z.number().int().min(1).max(86_400).optional(),
  event_type: z.string().optional(),
});

const waitQuery = z.strictObject({
  // Clamped by the bus to [0, events.max_wait_timeout_ms], not rejected (spec: timeouts clamped).
  timeout: z.coerce.number().int().min(0).optional(),
  filter: z.string().max(2048).optional(),
  topic: eventName.optional(),
  since: cursor.optional(),
  limit: limit.optional(),
});

const listQuery = z.strictObject({
  type: waitType.optional(),
  topic: eventName.optional(),
  filter: z.string().max(2048).optional(),
  since: cursor.optional(),
  limit: limit.optional(),
});

const deadLetterQuery = z.strictObject({ type: waitType.optional(), limit: limit.optional() });
const eventIdParams = z.object({ event_id: z.string().regex(/^evt_[0-9a-z]{4,32}_\d{1,15}$/, 'must be an event id') });

const eventSchema = z.object({
  event_id: z.string(), event_type: z.string(), publisher: z.string(), topic: z.string(), data: z.record(z.string(), z.unknown()),
  timestamp: z.string(), correlation_id: z.string().nullable(), ttl_seconds: z.number(),
});
const publishedSchema = z.object({
  event_id: z.string(), published: z.literal(true), subscribers_notified: z.array(z.string()), subscriber_count: z.number(),
  timestamp: z.string(), topic: z.string(), ttl_seconds: z.number(),
});
const pageSchema = z.object({
  events: z.array(eventSchema), more_available: z.boolean(), next_cursor: z.string(), timeout: z.literal(true).optional(), timestamp: z.string(),
});

function busOf(deps: AppDeps): EventBus {
  if (!deps.bus) throw new EventBusUnavailableError('Event bus is not available');
  return deps.bus;
}

function publishedBody(result: PublishResult): z.infer<typeof publishedSchema> {
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

/** Free the wait as soon as the client goes away, so a dropped connection does not hold a slot. */
function abortOnClose(ctx: AppRouterContext): AbortSignal {
  const controller = new AbortController();
  // 'close' also follows every completed answer; aborting then would only cost a DOMException.
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) controller.abort();
  });
  return controller.signal;
}

function issueScopeOf(auth: AuthInfo): { issueScope?: string } {
  return auth.issue_id !== undefined ? { issueScope: auth.issue_id } : {};
}

/**
 * The event endpoints of spec §4 with the scoping of spec §2: publishing needs `publish_events`
 * and a non-admin publishes only as its own `sub` (an absent publisher is filled in); reading
 * needs `subscribe_events`; a token limited to one issue neither publishes about nor sees events
 * whose `data.issue_id` names another issue; purging dead letters is admin only.
 */
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

export const eventRoutes: RouteModule = (routers, deps) => {
  defineRoute(routers, {
    method: 'get', path: '/api/events/wait/:event_type', tag: 'events', permission: 'subscribe_events',
    summary: 'Long-poll for events after a cursor (without since: buffered matches at once; since=now: future only)',
    params: z.object({ event_type: waitType }), query: waitQuery,
    responses: {
      200: { description: 'Matching events, or timeout: true; next_cursor is always a string', schema: pageSchema },
      400: { description: 'REQ_001, or EVT_002 for a bad filter or cursor' },
      410: { description: 'EVT_003: cursor expired or from another epoch (details.oldest_cursor)' },
      429: { description: 'RATE_001: too many concurrent waits for this token or in total' },
    },
  }, async (ctx, { params, query }) => {
    const auth = authOf(ctx);
    const result = await busOf(deps).wait({
      eventType: params.event_type,
      subscriberId: auth.sub,
      capKey: auth.jti,
      signal: abortOnClose(ctx),
      ...(query.timeout !== undefined ? { timeoutMs: query.timeout } : {}),
      ...selectionOf(query),
      ...issueScopeOf(auth),
    });
    return { ...result, timestamp: new Date().toISOString() };
  });

  defineRoute(routers, {
    method: 'get', path: '/api/events/dead-letter', tag: 'events', permission: 'subscribe_events',
    summary: 'Events that left the buffer (TTL or capacity) without ever being delivered, oldest first',
    query: deadLetterQuery,
    responses: { 200: { description: '{dead_letters: [event + reason, dead_lettered_at], total, timestamp}' } },
  }, async (ctx, { query }) => {
    const auth = authOf(ctx);
    const page = await busOf(deps).listDeadLetters({
      ...(query.type !== undefined ? { eventType: query.type } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
      ...issueScopeOf(auth),
    });
    return { ...page, timestamp: new Date().toISOString() };
  });

  defineRoute(routers, {
    method: 'post', path: '/api/events/dead-letter/:event_id/redrive', tag: 'events', permission: 'publish_events',
    summary: 'Publish a dead letter again (new event id) and remove it from the queue',
    params: eventIdParams,
    responses: {
      202: { description: 'Published again', schema: publishedSchema.extend({ redriven_from: z.string() }) },
      403: { description: 'AUTH_003: a non-admin redrives only its own events' },
      404: { description: 'No dead letter with that id' },
    },
  }, async (ctx, { params }) => {
    const auth = authOf(ctx);
    const bus = busOf(deps);
    if (!isAdmin(auth)) {
      // Redriving republishes as the original publisher: only that publisher (or an admin) may.
      const own = await bus.getDeadLetter(params.event_id);
      if (!own) throw new NotFoundError('No dead letter with that event id', { event_id: params.event_id });
      if (own.publisher !== auth.sub) throw new ForbiddenError('Token redrives only events it published', { token_sub: auth.sub });
      // A sidecar-published type would be re-announced (e.g. a second agent_completed): admin only.
      if (isReservedEventType(own.event_type)) throw new ForbiddenError(`Event type '${own.event_type}' is reserved: only an admin redrives it`, { event_type: own.event_type });
    }
    const result = await bus.redriveDeadLetter(params.event_id);
    ctx.status = 202;
    return { ...publishedBody(result), redriven_from: params.event_id };
  });

  defineRoute(routers, {
    method: 'delete', path: '/api/events/dead-letter', tag: 'events', permission: 'admin',
    summary: 'Empty the dead-letter queue (admin)',
    responses: { 200: { description: '{purged, timestamp}' } },
  }, async () => {
    const purged = await busOf(deps).purgeDeadLetters();
    return { purged, timestamp: new Date().toISOString() };
  });

  defineRoute(routers, {
    method: 'get', path: '/api/events', tag: 'events', permission: 'subscribe_events',
    summary: 'List buffered events after a cursor without waiting',
    query: listQuery,
    responses: { 200: { description: 'A page of events', schema: pageSchema.omit({ timeout: true }) } },
  }, async (ctx, { query }) => {
    const auth = authOf(ctx);
    const page = await busOf(deps).list({
      ...(query.type !== undefined ? { eventType: query.type } : {}),
      ...selectionOf(query),
      ...issueScopeOf(auth),
    });
    return { ...page, timestamp: new Date().toISOString() };
  });

  defineRoute(routers, {
    method: 'post', path: '/api/events/:event_type', tag: 'events', permission: 'publish_events',
    summary: 'Publish an event; 202 once it is durable (it survives a restart) and every matching waiter was answered',
    params: z.object({ event_type: eventName }), body: publishBody,
    responses: {
      202: { description: 'Published', schema: publishedSchema },
      400: { description: 'REQ_001, or EVT_002 when body event_type differs from the path or data is too large' },
      403: { description: 'AUTH_003: a reserved event type (agent_*, files_changed, issue_updated, lease_*, gate_*) or a publisher other than the token sub (non-admin), or another issue' },
      503: { description: 'EVT_001: the journal cannot be written' },
    },
  }, async (ctx, { params, body }) => {
    const auth = authOf(ctx);
    if (isReservedEventType(params.event_type) && !isAdmin(auth)) {
      throw new ForbiddenError(`Event type '${params.event_type}' is reserved: only the sidecar publishes it`, { event_type: params.event_type });
    }
    if (body.event_type !== undefined && body.event_type !== params.event_type) {
      throw new InvalidEventError('event_type in the body must equal the one in the path',
        { path_event_type: params.event_type, body_event_type: body.event_type });
    }
    const publisher = body.publisher ?? auth.sub;
    if (publisher !== auth.sub && !isAdmin(auth)) {
      throw new ForbiddenError(`Token publishes only as '${auth.sub}'`, { token_sub: auth.sub });
    }
    const data = body.data ?? {};
    const issue = Object.hasOwn(data, 'issue_id') ? data.issue_id : undefined;
    if (auth.issue_id !== undefined && issue !== undefined && issue !== null && String(issue) !== auth.issue_id) {
      throw new ForbiddenError('Token is scoped to another issue', { token_issue_id: auth.issue_id });
    }
    const result = await busOf(deps).publish({
      event_type: params.event_type,
      publisher,
      data,
      ...(body.topic !== undefined ? { topic: body.topic } : {}),
      ...(body.correlation_id !== undefined ? { correlation_id: body.correlation_id } : {}),
      ...(body.ttl_seconds !== undefined ? { ttl_seconds: body.ttl_seconds } : {}),
    });
    ctx.status = 202;
    return publishedBody(result);
  });
};
