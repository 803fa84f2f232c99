import type { SidecarClient } from './sidecar-client.js';
import type { WireQuery } from './wire-query.js';
import type { EventPageBody, ListEventsQuery, PublishEventRequest, PublishEventResponse, WaitEventsQuery, WaitPage } from '../contract/events.js';

/** The wire types of the event endpoints: inferred from the contract schemas. */
export type { PublishEventResponse, WaitEventsQuery, WireEvent } from '../contract/events.js';
/** Body of `POST /api/events/:event_type` as a client sends it. */
export type PublishEventBody = PublishEventRequest;
/** A wait answer; `next_cursor` is always a string: pass it as `since` to see every later match exactly once. */
export type EventPageResponse = WaitPage;

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

  list(query: WireQuery<ListEventsQuery> = {}): Promise<EventPageBody> {
    return this.client.request('GET', '/api/events', { query: { ...query } });
  }
}
