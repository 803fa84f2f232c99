import type { SidecarClient } from './sidecar-client.js';

/** One event as the sidecar answers it (spec §4). */
export interface WireEvent {
  event_id: string;
  event_type: string;
  publisher: string;
  topic: string;
  data: Record<string, unknown>;
  timestamp: string;
  correlation_id: string | null;
  ttl_seconds: number;
}

export interface PublishEventBody {
  data?: Record<string, unknown>;
  topic?: string;
  publisher?: string;
  correlation_id?: string;
  ttl_seconds?: number;
}

export interface PublishEventResponse {
  event_id: string;
  published: true;
  subscribers_notified: string[];
  subscriber_count: number;
  timestamp: string;
  topic: string;
  ttl_seconds: number;
}

export interface WaitEventsQuery {
  /** Milliseconds the sidecar may hold the request (it clamps to its maximum). */
  timeout?: number;
  filter?: string;
  topic?: string;
  /** Event id / cursor, or `now`. */
  since?: string;
  limit?: number;
}

export interface EventPageResponse {
  events: WireEvent[];
  more_available: boolean;
  /** Always a string: pass it as `since` to see every later match exactly once. */
  next_cursor: string;
  timeout?: true;
  timestamp: string;
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
  wait(eventType: string, query: WaitEventsQuery = {}, signal?: AbortSignal): Promise<EventPageResponse> {
    const deadline = AbortSignal.timeout((query.timeout ?? 30_000) + WAIT_SLACK_MS);
    return this.client.request('GET', `/api/events/wait/${eventType === '*' ? '*' : encodeURIComponent(eventType)}`, {
      query: { ...query },
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    });
  }

  list(query: { type?: string; topic?: string; filter?: string; since?: string; limit?: number } = {}): Promise<Omit<EventPageResponse, 'timeout'>> {
    return this.client.request('GET', '/api/events', { query: { ...query } });
  }
}
