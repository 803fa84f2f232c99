import net from 'node:net';

export interface RawAnswer {
  /** Everything the server sent. */
  text: string;
  /** The server closed the connection before the wait ended. */
  closed: boolean;
  status?: number;
  headers: Record<string, string>;
  body?: any;
  /** Milliseconds from connect to close (or to the end of the wait). */
  ms: number;
}

function parse(full: string): Pick<RawAnswer, 'status' | 'headers' | 'body'> {
  const headers: Record<string, string> = {};
  let text = full;
  // Skip interim answers (100 Continue) to the final one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(text) && text.includes('\r\n\r\n')) text = text.slice(text.indexOf('\r\n\r\n') + 4);
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return { headers };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body: unknown;
  try {
    body = JSON.parse(text.slice(end + 4));
  } catch {
    body = text.slice(end + 4);
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, body };
}

/**
 * Write raw bytes on a fresh TCP connection and collect the answer until the server closes or
 * `waitMs` passes. For requests `http.request` refuses to send (bad Host, huge URL, slowloris…).
 */
export function sendRaw(port: number, chunks: Array<string | Buffer> | string, waitMs = 3_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, ms: performance.now() - started, ...parse(text) });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => {
      for (const c of typeof chunks === 'string' ? [chunks] : chunks) socket.write(c);
    });
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

/** A connection that sent part of a request and then nothing (half-open / slowloris). */
export function openIdleSocket(port: number, partial = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(partial);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}
