import { SidecarError, type SidecarClient } from './sidecar-client.js';
import { readSse } from './sse-reader.js';
import type { WireQuery } from './wire-query.js';
import type { EventPageBody, ListEventsQuery, PublishEventRequest, PublishEventResponse, WaitEventsQuery, WaitPage, WireEvent } from '../contract/events.js';

/** The wire types of the event endpoints: inferred from the contract schemas. */
export type { PublishEventResponse, WaitEventsQuery, WireEvent } from '../contract/events.js';
/** Body of `POST /api/events/:event_type` as a client sends it. */
export type PublishEventBody = PublishEventRequest;
/** A wait answer; `next_cursor` is always a string: pass it as `since` to see every later match exactly once. */
export type EventPageResponse = WaitPage;

export interface StreamEventsQuery {
  /** An event type, or `*` (default). */
  type?: string;
  topic?: string;
  filter?: string;
  /** Event id / cursor, or `now`; absent: buffered matches first. */
  since?: string;
  /** Continue after this event id (sent as `Last-Event-ID`; wins over `since`). */
  lastEventId?: string;
  /** End the stream after this many ms. */
  timeout?: number;
}

/** Slack on top of the wait timeout before the client gives up on the HTTP request itself. */
const WAIT_SLACK_MS = 10_000;

/**
 * Typed calls of the event endpoints on top of `SidecarClient`.
 *
 * @example
 * const events = new EventsClient(client);
 * let cursor = 'now';
 * for (;;) { const page = await events.wait('agent_completed', { since: cursor }); cursor = page.next_cursor; }
 */
export class EventsClient {
  constructor(private readonly client: SidecarClient) {}

  publish(eventType: string, body: PublishEventBody): Promise<PublishEventResponse> {
    return this.client.request('POST', `/api/events/${encodeURIComponent(eventType)}`, { body: { data: {}, ...body } });
  }

  /** Long-poll; `signal` aborts it (e.g. on SIGINT). */
  wait(eventType: string, query: WireQuery<WaitEventsQuery> = {}, signal?: AbortSignal): Promise<EventPageResponse> {
    const deadline = AbortSignal.timeout((query.timeout ?? 30_000) + WAIT_SLACK_MS);
    return this.client.request('GET', `/api/events/wait/${eventType === '*' ? '*' : encodeURIComponent(eventType)}`, {
      query: { ...query },
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    });
  }

  /**
   * Follow `GET /api/events/stream`: yields every matching event once, in order, until `signal`
   * aborts or the stream ends. The sidecar's last `stream_error` frame (e.g. it is stopping)
   * throws `SidecarError`; resume with `lastEventId` = the last event's id.
   *
   * @example
   * for await (const e of events.stream({ type: 'agent_completed', since: 'now' }, controller.signal)) console.log(e.event_id);
   */
  async *stream(query: StreamEventsQuery = {}, signal?: AbortSignal): AsyncGenerator<WireEvent> {
    const { lastEventId, ...rest } = query;
    const body = await this.client.openStream('/api/events/stream', {
      query: { ...rest },
      ...(lastEventId ? { headers: { 'last-event-id': lastEventId } } : {}),
      ...(signal ? { signal } : {}),
    });
    for await (const message of readSse(body)) {
      if (message.event === 'stream_error') {
        const error = JSON.parse(message.data) as { status?: number; error: string; message: string; code: string };
        throw new SidecarError(error.status ?? 500, error);
      }
      yield JSON.parse(message.data) as WireEvent;
    }
  }

  list(query: WireQuery<ListEventsQuery> = {}): Promise<EventPageBody> {
    return this.client.request('GET', '/api/events', { query: { ...query } });
  }
}
