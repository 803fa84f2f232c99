import { z } from 'zod';
import { ForbiddenError, NotFoundError } from '../../errors/index.js';
import type { EventBus } from '../../events/event-bus.js';
import { eventName, listEventsQuery, pageSchema, publishEventBody, publishedBody, publishedSchema, waitEventsQuery, waitType } from '../../events/events-service.js';
import type { AppDeps } from '../app-deps.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { abortOnClose } from '../abort-on-close.js';
import { authOf, isAdmin } from '../permissions.js';
import { servicesOf } from '../services.js';

const limit = z.coerce.number().int().min(1).max(1000);
const deadLetterQuery = z.strictObject({ type: waitType.optional(), limit: limit.optional() });
const eventIdParams = z.object({ event_id: z.string().regex(/^evt_[0-9a-z]{4,32}_\d{1,15}$/, 'must be an event id') });

/**
 * The event endpoints of spec §4; the rules (scoping of spec §2) live in `EventsService`, which
 * the MCP tools call too. Purging dead letters is admin only.
 */
export const eventRoutes: RouteModule = (routers, deps) => {
  const events = servicesOf(deps).events;
  const busOf = (_deps: AppDeps): EventBus => events.busOrFail();
  defineRoute(routers, {
    method: 'get', path: '/api/events/wait/:event_type', tag: 'events', permission: 'subscribe_events',
    summary: 'Long-poll for events after a cursor (without since: buffered matches at once; since=now: future only)',
    params: z.object({ event_type: waitType }), query: waitEventsQuery,
    responses: {
      200: { description: 'Matching events, or timeout: true; next_cursor is always a string', schema: pageSchema },
      400: { description: 'REQ_001, or EVT_002 for a bad filter or cursor' },
      410: { description: 'EVT_003: cursor expired or from another epoch (details.oldest_cursor)' },
      429: { description: 'RATE_001: too many concurrent waits for this token or in total' },
    },
  }, async (ctx, { params, query }) => {
    return events.wait(authOf(ctx), params.event_type, query, abortOnClose(ctx));
  });

  defineRoute(routers, {
    method: 'get', path: '/api/events/dead-letter', tag: 'events', permission: 'subscribe_events',
    summary: 'Events that left the buffer (TTL or capacity) without ever being delivered, oldest first',
    query: deadLetterQuery,
    responses: { 200: { description: '{dead_letters: [event + reason, dead_lettered_at], total, timestamp}' } },
  }, async (ctx, { query }) => {
    return events.listDeadLetters(authOf(ctx), query);
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
    query: listEventsQuery,
    responses: { 200: { description: 'A page of events', schema: pageSchema.omit({ timeout: true }) } },
  }, async (ctx, { query }) => {
    return events.list(authOf(ctx), query);
  });

  defineRoute(routers, {
    method: 'post', path: '/api/events/:event_type', tag: 'events', permission: 'publish_events',
    summary: 'Publish an event; 202 once it is durable (it survives a restart) and every matching waiter was answered',
    params: z.object({ event_type: eventName }), body: publishEventBody,
    responses: {
      202: { description: 'Published', schema: publishedSchema },
      400: { description: 'REQ_001, or EVT_002 when body event_type differs from the path or data is too large' },
      403: { description: 'AUTH_003: publisher other than the token sub (non-admin), or another issue' },
      503: { description: 'EVT_001: the journal cannot be written' },
    },
  }, async (ctx, { params, body }) => {
    const answer = await events.publish(authOf(ctx), params.event_type, body);
    ctx.status = 202;
    return answer;
  });
};
