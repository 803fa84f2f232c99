import type { EventPage } from '../../events/event-bus.js';
import { listEventsQuery, publishBody, publishParams, waitParams, waitQuery, type PublishEventResponse } from '../../contract/events.js';
import { defineTool } from '../tool-definition.js';

function pageSummary(out: EventPage & { timeout?: true }): string {
  const types = [...new Set(out.events.map((e) => e.event_type))].join(', ');
  const head = out.events.length > 0 ? `${out.events.length} event(s): ${types}` : out.timeout ? 'No event before the timeout' : 'No event';
  return `${head}. Call again with since = "${out.next_cursor}" to continue.`;
}

/** `publish_event`, `wait_for_events`, `list_events` mirror the event routes of spec §4. */
export const eventsTools = [
  defineTool({
    name: 'publish_event',
    title: 'Publish an event',
    description: [
      'Publishes an event to the team (durable, delivered to every agent waiting for it): event_type (e.g. "api_ready"),',
      'topic (default "coordination"), data (a JSON object; put issue_id in it to scope it to an issue), optional',
      'correlation_id and ttl_seconds. Returns the event id and how many waiting agents it woke. You publish as yourself.',
    ].join(' '),
    permission: 'publish_events',
    input: publishBody.extend(publishParams.shape),
    readOnly: false,
    audit: 'data',
    run: ({ caller, services }, { event_type, ...body }) => services.events.publish(caller, event_type, body),
    summary: (out: PublishEventResponse, input) =>
      `Published ${input.event_type} as ${out.event_id} on topic ${out.topic}; woke ${out.subscriber_count} waiter(s).`,
  }),
  defineTool({
    name: 'wait_for_events',
    title: 'Wait for events',
    description: [
      'Waits until an event of event_type ("*" for any) arrives, then returns it; returns at once when matching events',
      'are already buffered. Optional filter "field:value[,field:value]" (fields of data, then top level), topic and',
      'since (a cursor; "now" = only future events). The wait is capped below the client tool timeout (50 s by default):',
      'on timeout it returns timeout: true and no events. It ALWAYS returns next_cursor: call again with',
      'since = next_cursor to see every later event exactly once, in order. timeout is in milliseconds.',
    ].join(' '),
    permission: 'subscribe_events',
    input: waitQuery.extend(waitParams.shape),
    queryInput: true,
    readOnly: true,
    run: ({ caller, services, deps, signal }, { event_type, ...query }) => {
      const cap = deps.config.mcp.wait_cap_ms;
      return services.events.wait(caller, event_type, { ...query, timeout: Math.min(query.timeout ?? cap, cap) }, { signal });
    },
    summary: pageSummary,
  }),
  defineTool({
    name: 'list_events',
    title: 'List recent events',
    description: [
      'Lists buffered events without waiting (oldest first): filter by type ("*" or a name), topic, filter',
      '"field:value", since (a cursor). Returns events, more_available and next_cursor (pass it as since to continue).',
    ].join(' '),
    permission: 'subscribe_events',
    input: listEventsQuery,
    queryInput: true,
    readOnly: true,
    run: ({ caller, services }, query) => services.events.list(caller, query),
    summary: pageSummary,
  }),
];
