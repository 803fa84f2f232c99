import type { BusEvent } from '../../events/event-bus.js';

/**
 * Server-Sent Events framing (WHATWG HTML "event stream" format). Event ids and types match
 * `EVENT_NAME_PATTERN`/the id pattern and JSON.stringify escapes every line break, so each field
 * fits on one line and no value can inject a field of its own.
 */

/** One event: `id:` is its id (the browser's `Last-Event-ID` on reconnect), `event:` its type. */
export function eventFrame(event: BusEvent): string {
  return `id: ${event.event_id}\nevent: ${event.event_type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** A comment line: ignored by every SSE parser, it only keeps the connection visibly alive. */
export function commentFrame(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** How long a client waits before reconnecting after the stream ends (sent once, first). */
export function retryFrame(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}
