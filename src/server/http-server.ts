import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { HeadersTooLargeError, RequestTimeoutError, ServerBusyError, UriTooLongError, ValidationError, type AppError } from '../errors/index.js';
import { BASE_SECURITY_HEADERS, contractErrorBody, newRequestId, rawErrorResponse } from './contract-error.js';

export interface HttpServerHandle {
  server: http.Server;
  /** Every open socket (for shutdown and the connection cap). */
  sockets: Set<Socket>;
}

type HttpLimits = Config['http'];

/** A request refused before it reached Koa (so before authentication), for the audit log. */
export interface RefusedRequest {
  status: number;
  code: string;
  /** Path of the request line when it was received (never its query string), else null. */
  path: string | null;
  remote: string | null;
}

/** The request line's path, from the first bytes Node's parser saw (query string dropped). */
function pathOf(raw: Buffer | undefined): string | null {
  if (!raw) return null;
  const match = /^[A-Z]{3,7} ([^ ?\r\n]{1,512})/.exec(raw.subarray(0, 600).toString('latin1'));
  return match ? match[1]! : null;
}

/** How often Node checks headers/request timeouts (its default, 30 s, lets a slowloris sit 3× longer). */
const TIMEOUT_CHECK_MS = 1_000;

function answerBusy(res: http.ServerResponse, limit: number): void {
  const error = new ServerBusyError(limit);
  const requestId = newRequestId();
  const body = JSON.stringify(contractErrorBody(error, requestId));
  res.shouldKeepAlive = false;
  res.writeHead(error.status, {
    ...BASE_SECURITY_HEADERS,
    ...error.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Request-Id': requestId,
    Connection: 'close',
  });
  res.end(body);
}

/** Oversized request line → 414, oversized headers → 431 (both overflow Node's maxHeaderSize). */
function overflowError(raw: Buffer | undefined, limits: HttpLimits): AppError {
  if (raw && /^[A-Z]+ /.test(raw.subarray(0, 16).toString('latin1'))) {
    const lineEnd = raw.indexOf('\r\n');
    if (lineEnd === -1 || lineEnd > limits.max_url_bytes) return new UriTooLongError(limits.max_url_bytes);
  }
  return new HeadersTooLargeError(limits.max_header_bytes);
}

/**
 * The HTTP server with every limit a hostile or slow client meets before Koa sees a request:
 * - `headersTimeout` (slowloris) and `requestTimeout` (slow body) end with 408 REQ_007; both stop
 *   counting once the request is received, so long-polls of up to 300 s are unaffected;
 *   `server.timeout` stays 0 for the same reason, and idle keep-alive sockets close after
 *   `keepAliveTimeout`;
 * - request line + headers over `max_header_bytes` → 414 REQ_005 / 431 REQ_006;
 * - beyond `max_connections` open sockets, a request is answered 503 SRV_001 with Retry-After and
 *   `Connection: close`, without reaching Koa (instead of `server.maxConnections`, which resets
 *   the socket without a word);
 * - malformed HTTP → 400 REQ_001. Every one of these answers is the contract's JSON, and each is
 *   reported to `onRefused` (the audit log: they never reach authentication or the audit trail).
 * `requireHostHeader` is off so a missing Host reaches the Host allowlist (421 REQ_004, JSON).
 */
export function createHttpServer(
  handler: http.RequestListener,
  limits: HttpLimits,
  logger: Logger,
  onRefused: (refused: RefusedRequest) => void = () => undefined,
): HttpServerHandle {
  const sockets = new Set<Socket>();
  const overCap = new WeakSet<Socket>();
  // The path of the request a socket is receiving, for a 408 on a slow body (no raw packet then).
  const receiving = new WeakMap<Duplex, string>();
  const server = http.createServer(
    {
      requestTimeout: limits.request_timeout_ms,
      headersTimeout: Math.min(limits.headers_timeout_ms, limits.request_timeout_ms),
      keepAliveTimeout: limits.keep_alive_timeout_ms,
      maxHeaderSize: limits.max_header_bytes,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, limits.headers_timeout_ms),
      requireHostHeader: false,
    },
    (req, res) => {
      if (overCap.has(req.socket)) {
        answerBusy(res, limits.max_connections);
        return;
      }
      receiving.set(req.socket, (req.url ?? '').split('?', 1)[0]!.slice(0, 512));
      handler(req, res);
    },
  );
  server.timeout = 0;
  server.on('connection', (socket: Socket) => {
    if (sockets.size >= limits.max_connections) overCap.add(socket);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    // As Node's own handler: answer only if nothing of a response went out on this socket yet.
    const inFlight = (socket as Duplex & { _httpMessage?: { _headerSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?._headerSent) {
      socket.destroy();
      return;
    }
    let answer: AppError;
    if (err.code === 'HPE_HEADER_OVERFLOW') answer = overflowError(err.rawPacket, limits);
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') answer = new RequestTimeoutError();
    else answer = new ValidationError('Malformed HTTP request');
    logger.debug({ code: err.code, status: answer.status }, 'client error');
    const remote = (socket as Socket).remoteAddress ?? null;
    onRefused({ status: answer.status, code: answer.code, path: pathOf(err.rawPacket) ?? receiving.get(socket) ?? null, remote });
    socket.end(rawErrorResponse(answer));
  });
  return { server, sockets };
}
