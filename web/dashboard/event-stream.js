// Follows GET /api/events/stream with fetch and a stream reader (EventSource cannot send an
// Authorization header). What is already buffered is read first with GET /api/events, which
// (unlike a stream or a wait) does not count as a delivery, so opening the page does not keep
// undelivered events from the dead-letter queue; the stream then starts at that list's cursor.
// Reconnects continue from the last event id seen, so nothing is missed or repeated; when that
// cursor has expired (410) it starts again from now and says so.
const RETRY_MS = 2000;
const PAGE = 1000;
/** At most this many buffered events are read at start (the bus keeps 10,000 by default). */
const HISTORY_MAX = 20000;

export function followEvents(api, { onEvent, onState, onUnauthorized }) {
  let lastId = null;
  let fromNow = false;
  let stopped = false;
  let controller = null;

  const retry = (ms = RETRY_MS) => {
    if (!stopped) setTimeout(connect, ms);
  };

  /** Buffered events, oldest first, through the list route; resolves to the cursor after them. */
  async function history() {
    let cursor = null;
    for (let read = 0; read < HISTORY_MAX; read += PAGE) {
      const res = await api.get(`/api/events?limit=${PAGE}${cursor ? `&since=${encodeURIComponent(cursor)}` : ''}`);
      if (res.status !== 200) return null;
      for (const event of res.body.events) onEvent(event);
      cursor = res.body.next_cursor;
      if (!res.body.more_available) break;
    }
    return cursor;
  }

  async function connect() {
    if (stopped) return;
    controller = new AbortController();
    const headers = api.headers({ Accept: 'text/event-stream' });
    if (lastId) headers['Last-Event-ID'] = lastId;
    let res;
    try {
      res = await fetch(fromNow && !lastId ? '/api/events/stream?since=now' : '/api/events/stream', { headers, signal: controller.signal, cache: 'no-store' });
    } catch {
      onState('offline');
      retry();
      return;
    }
    if (res.status === 401) {
      onState('offline');
      onUnauthorized(await res.json().catch(() => null));
      return;
    }
    if (res.status === 410) {
      lastId = null;
      fromNow = true;
      onState('gap');
      retry(0);
      return;
    }
    if (res.status !== 200 || !res.body) {
      onState('offline');
      retry(5000);
      return;
    }
    onState('live');
    await read(res.body);
    onState('connecting');
    retry();
  }

  async function read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let frame = { id: null, event: null, data: null };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (frame.data !== null) dispatch(frame);
            frame = { id: null, event: null, data: null };
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') frame.data = frame.data === null ? value : `${frame.data}\n${value}`;
            else if (field === 'id') frame.id = value;
            else if (field === 'event') frame.event = value;
          }
        }
      }
    } catch {
      // The connection broke: the caller reconnects from lastId.
    }
  }

  function dispatch(frame) {
    if (frame.event === 'stream_error') return;
    let event;
    try {
      event = JSON.parse(frame.data);
    } catch {
      return;
    }
    if (frame.id) lastId = frame.id;
    onEvent(event);
  }

  history().then((cursor) => {
    // Without the list (refused or failed), start at now rather than replay through the stream.
    if (cursor) lastId = cursor;
    else fromNow = true;
    connect();
  });
  return () => {
    stopped = true;
    controller?.abort();
  };
}
