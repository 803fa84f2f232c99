/** One Server-Sent Events frame with data (comments and empty frames are skipped). */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Parse an event stream (WHATWG HTML "server-sent events": `field: value` lines, a blank line ends
 * a frame, `:` starts a comment) into its frames, as the bytes arrive.
 *
 * @example for await (const m of readSse(body)) console.log(m.event, m.data);
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let frame: SseMessage = { data: '' };
  let hasData = false;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (hasData) yield frame;
        frame = { data: '' };
        hasData = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') {
        frame.data = hasData ? `${frame.data}\n${value}` : value;
        hasData = true;
      } else if (field === 'id') {
        frame.id = value;
      } else if (field === 'event') {
        frame.event = value;
      }
    }
  }
}
