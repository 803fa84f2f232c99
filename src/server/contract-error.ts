import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { AppError } from '../errors/index.js';

/** The contract's error body (spec §1). */
export function contractErrorBody(err: AppError, requestId: string): Record<string, unknown> {
  return {
    error: err.error,
    message: err.message,
    code: err.code,
    details: err.details,
    timestamp: new Date().toISOString(),
    request_id: requestId,
  };
}

export function newRequestId(): string {
  return `req-${randomBytes(9).toString('base64url')}`;
}

/** Headers every answer carries (spec §5), also the ones written outside Koa. */
export const BASE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

/**
 * A complete HTTP/1.1 error answer as bytes, for the places where Node hands us a bare socket
 * (`clientError`: oversized headers, timeouts, parse errors). Always `Connection: close`.
 */
export function rawErrorResponse(err: AppError): string {
  const requestId = newRequestId();
  const body = JSON.stringify(contractErrorBody(err, requestId));
  const headers: Record<string, string> = {
    ...BASE_SECURITY_HEADERS,
    ...err.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Request-Id': requestId,
    Connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  return `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\n${head}\r\n\r\n${body}`;
}
