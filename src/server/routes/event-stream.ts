import { z } from 'zod';
import { EventBusUnavailableError } from '../../errors/index.js';
import { EVENT_NAME_PATTERN } from '../../events/event-names.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';
import { EventStream } from '../sse/event-stream.js';

const NAME_MESSAGE = 'must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
const eventName = z.string().regex(EVENT_NAME_PATTERN, NAME_MESSAGE);
const cursor = z.string().min(1).max(128);

const streamQuery = z.strictObject({
  type: z.union([z.literal('*'), eventName]).optional(),
  topic: eventName.optional(),
  filter: z.string().max(2048).optional(),
  since: cursor.optional(),
  /** ms after which the stream ends (a bounded read for scripts); absent: open until the client leaves. */
  timeout: z.coerce.number().int().min(0).max(86_400_000).optional(),
});

/**
 * `GET /api/events/stream` (spec §9): the event stream as Server-Sent Events. Same permission,
 * issue scoping, filters, cursors and caps as `GET /api/events/wait/*`. A browser's automatic
 * reconnect sends the last `id:` it saw as `Last-Event-ID`, which therefore wins over `since`
 * (the URL, `since` included, stays the same across reconnects).
 */
export const eventStreamRoutes: RouteModule = (routers, deps) => {
  defineRoute(routers, {
    method: 'get', path: '/api/events/stream', tag: 'events', permission: 'subscribe_events',
    summary: 'Server-Sent Events: id = event id, event = type, data = the event JSON; Last-Event-ID or since continues exactly once, in order',
    query: streamQuery,
    responses: {
      200: { description: 'text/event-stream; a comment heartbeat when idle; a final `stream_error` frame when the sidecar stops' },
      400: { description: 'REQ_001, or EVT_002 for a bad filter or cursor' },
      410: { description: 'EVT_003: cursor expired or from another epoch (details.oldest_cursor)' },
      429: { description: 'RATE_001: too many concurrent waits/streams for this token or in total' },
    },
  }, async (ctx, { query }) => {
    const auth = authOf(ctx);
    if (!deps.bus) throw new EventBusUnavailableError('Event bus is not available');
    const lastEventId = ctx.get('Last-Event-ID').trim();
    const since = lastEventId !== '' ? lastEventId.slice(0, 128) : query.since;
    const stream = await EventStream.open({
      bus: deps.bus,
      selection: {
        eventType: query.type ?? '*',
        subscriberId: auth.sub,
        capKey: auth.jti,
        ...(query.topic !== undefined ? { topic: query.topic } : {}),
        ...(query.filter !== undefined ? { filter: query.filter } : {}),
        ...(auth.issue_id !== undefined ? { issueScope: auth.issue_id } : {}),
      },
      ...(since !== undefined ? { since } : {}),
      heartbeatMs: deps.config.events.stream_heartbeat_ms,
      ...(query.timeout !== undefined ? { endAfterMs: query.timeout } : {}),
      logger: deps.logger,
    }, ctx.res);
    // From here on the response is written by hand; Koa must not answer it.
    ctx.status = 200;
    ctx.respond = false;
    stream.pipe(ctx.res);
  });
};
