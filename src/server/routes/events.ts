import {
  deadLetterPageSchema,
  deadLetterQuery,
  eventIdParams,
  eventPageSchema,
  listEventsQuery,
  publishBody,
  publishParams,
  publishedSchema,
  purgedSchema,
  redrivenSchema,
  waitPageSchema,
  waitParams,
  waitQuery,
} from '../../contract/events.js';
import { abortOnClose } from '../abort-on-close.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';

/** The event endpoints of spec §4: doors onto the events service (which applies spec §2's scoping). */
export const eventRoutes: RouteModule = (routers, deps) => {
  const { events } = routers.services;

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/events/wait/:event_type',
      tag: 'events',
      permission: 'subscribe_events',
      summary: 'Long-poll for events after a cursor (without since: buffered matches at once; since=now: future only)',
      params: waitParams,
      query: waitQuery,
      responses: {
        200: { description: 'Matching events, or timeout: true; next_cursor is always a string', schema: waitPageSchema },
        400: { description: 'REQ_001, or EVT_002 for a bad filter or cursor' },
        410: { description: 'EVT_003: cursor expired or from another epoch (details.oldest_cursor)' },
        429: { description: 'RATE_001: too many concurrent waits for this token or in total' },
      },
    },
    (ctx, { params, query }) => events.wait(authOf(ctx), params.event_type, query, { signal: AbortSignal.any([abortOnClose(ctx), deps.shutdownSignal]) }),
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/events/dead-letter',
      tag: 'events',
      permission: 'subscribe_events',
      summary: 'Events that left the buffer (TTL or capacity) without ever being delivered, oldest first',
      query: deadLetterQuery,
      responses: { 200: { description: 'Dead letters (event + reason, dead_lettered_at) and the queue size', schema: deadLetterPageSchema } },
    },
    (ctx, { query }) => events.listDeadLetters(authOf(ctx), query),
  );

  defineRoute(
    routers,
    {
      method: 'post',
      path: '/api/events/dead-letter/:event_id/redrive',
      tag: 'events',
      permission: 'publish_events',
      summary: 'Publish a dead letter again (new event id) and remove it from the queue',
      params: eventIdParams,
      responses: {
        202: { description: 'Published again', schema: redrivenSchema },
        403: { description: 'AUTH_003: a non-admin redrives only its own events' },
        404: { description: 'No dead letter with that id' },
      },
    },
    async (ctx, { params }) => {
      const answer = await events.redrive(authOf(ctx), params.event_id);
      ctx.status = 202;
      return answer;
    },
  );

  defineRoute(
    routers,
    {
      method: 'delete',
      path: '/api/events/dead-letter',
      tag: 'events',
      permission: 'admin',
      summary: 'Empty the dead-letter queue (admin)',
      responses: { 200: { description: 'How many dead letters were removed', schema: purgedSchema } },
    },
    (ctx) => events.purgeDeadLetters(authOf(ctx)),
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/events',
      tag: 'events',
      permission: 'subscribe_events',
      summary: 'List buffered events after a cursor without waiting',
      query: listEventsQuery,
      responses: { 200: { description: 'A page of events', schema: eventPageSchema } },
    },
    (ctx, { query }) => events.list(authOf(ctx), query),
  );

  defineRoute(
    routers,
    {
      method: 'post',
      path: '/api/events/:event_type',
      tag: 'events',
      permission: 'publish_events',
      audit: 'data',
      summary: 'Publish an event; 202 once it is durable (it survives a restart) and every matching waiter was answered',
      params: publishParams,
      body: publishBody,
      responses: {
        202: { description: 'Published', schema: publishedSchema },
        400: { description: 'REQ_001, or EVT_002 when body event_type differs from the path or data is too large' },
        403: {
          description:
            'AUTH_003: a reserved event type (agent_*, files_changed, issue_updated, lease_*, gate_*), a publisher other than the token sub (non-admin), or another issue',
        },
        503: { description: 'EVT_001: the journal cannot be written' },
      },
    },
    async (ctx, { params, body }) => {
      const answer = await events.publish(authOf(ctx), params.event_type, body);
      ctx.status = 202;
      return answer;
    },
  );
};
