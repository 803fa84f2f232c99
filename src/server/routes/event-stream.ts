import { z } from 'zod';
import { streamEventsQuery } from '../../contract/events.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';
import { EventStream } from '../sse/event-stream.js';

/** The most events one step of a stream takes from the bus (its own maximum per wait). */
const BATCH = 1000;

/**
 * `GET /api/events/stream` (spec §9): the event stream as Server-Sent Events. Every step is a
 * wait of the events service, so permission, issue scoping, filters, cursors and caps are the
 * waits' own. A browser's automatic reconnect sends the last `id:` it saw as `Last-Event-ID`,
 * which therefore wins over `since` (the URL, `since` included, stays the same across reconnects).
 */
export const eventStreamRoutes: RouteModule = (routers, deps) => {
  const { events } = routers.services;
  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/events/stream',
      tag: 'events',
      permission: 'subscribe_events',
      summary: 'Server-Sent Events: id = event id, event = type, data = the event JSON; Last-Event-ID or since continues exactly once, in order',
      query: streamEventsQuery,
      responses: {
        200: {
          description: 'SSE frames; a comment heartbeat when idle; a final `stream_error` frame when the sidecar stops',
          schema: z.string(),
          contentType: 'text/event-stream',
        },
        400: { description: 'REQ_001, or EVT_002 for a bad filter or cursor' },
        410: { description: 'EVT_003: cursor expired or from another epoch (details.oldest_cursor)' },
        429: { description: 'RATE_001: too many concurrent waits/streams for this token or in total' },
      },
    },
    async (ctx, { query }) => {
      const caller = authOf(ctx);
      // HEAD (routed to GET): the headers of a stream, no stream to hold open.
      if (ctx.method === 'HEAD') {
        ctx.status = 200;
        ctx.type = 'text/event-stream; charset=utf-8';
        return;
      }
      const lastEventId = ctx.get('Last-Event-ID').trim();
      const since = lastEventId !== '' ? lastEventId.slice(0, 128) : query.since;
      const heartbeat = deps.config.events.stream_heartbeat_ms;
      const stream = await EventStream.open(
        {
          next: (cursor, signal) =>
            events.wait(
              caller,
              query.type ?? '*',
              {
                timeout: heartbeat,
                limit: BATCH,
                ...(cursor !== undefined ? { since: cursor } : {}),
                ...(query.topic !== undefined ? { topic: query.topic } : {}),
                ...(query.filter !== undefined ? { filter: query.filter } : {}),
              },
              { signal },
            ),
          ...(since !== undefined ? { since } : {}),
          ...(query.timeout !== undefined ? { endAfterMs: query.timeout } : {}),
          stopping: deps.shutdownSignal,
          logger: deps.logger,
        },
        ctx.res,
      );
      // From here on the response is written by hand; Koa must not answer it.
      ctx.status = 200;
      ctx.respond = false;
      stream.pipe(ctx.res);
    },
  );
};
