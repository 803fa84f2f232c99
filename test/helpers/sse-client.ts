import http from 'node:http';

/** One parsed Server-Sent Events frame (comments are kept apart, as `comments`). */
export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

export interface SseConnection {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Frames with data, in arrival order. */
  frames: SseFrame[];
  /** Comment lines (`: heartbeat`), in arrival order. */
  comments: string[];
  /** Raw text for non-stream answers (JSON errors). */
  text(): string;
  /** Resolves when the server ended the response. */
  ended: Promise<void>;
  /** Resolves once `predicate` holds for the frames received (rejects after `timeoutMs`). */
  waitFor(predicate: (frames: SseFrame[], comments: string[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/**
 * A minimal SSE reader over a raw `GET` (parses the WHATWG event-stream format: fields `id`,
 * `event`, `data`, comments, blank line ends a frame), so tests see exactly what went on the wire.
 * Resolves once the response headers arrived.
 */
export function openSse(baseUrl: string, path: string, options: { token?: string; headers?: Record<string, string> } = {}): Promise<SseConnection> {
  const base = new URL(baseUrl);
  const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method: 'GET', path, headers, agent: false }, (res) => {
      const frames: SseFrame[] = [];
      const comments: string[] = [];
      const checks = new Set<() => void>();
      let buffer = '';
      let raw = '';
      let current: SseFrame = { data: '' };
      let hasData = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk.length < 100_000 ? chunk : '';
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (hasData) frames.push(current);
            current = { data: '' };
            hasData = false;
          } else if (line.startsWith(':')) {
            comments.push(line.slice(1).trim());
          } else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') {
              current.data = hasData ? `${current.data}\n${value}` : value;
              hasData = true;
            } else if (field === 'id') current.id = value;
            else if (field === 'event') current.event = value;
          }
        }
        for (const check of checks) check();
      });
      const ended = new Promise<void>((done) => {
        res.on('end', () => done());
        res.on('close', () => done());
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        comments,
        text: () => raw,
        ended,
        waitFor(predicate, timeoutMs = 5000) {
          return new Promise<void>((ok, fail) => {
            const check = (): void => {
              if (!predicate(frames, comments)) return;
              checks.delete(check);
              clearTimeout(timer);
              ok();
            };
            const timer = setTimeout(() => {
              checks.delete(check);
              fail(new Error(`SSE condition not met within ${timeoutMs} ms; frames: ${JSON.stringify(frames.map((f) => f.event))}`));
            }, timeoutMs);
            checks.add(check);
            check();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
