import { AppError } from './app-error.js';

/** One class per contract code family (spec §1). Status and code are fixed per class. */

export class ValidationError extends AppError {
  constructor(message: string, issues: Array<{ path: string; message: string }> = [], details: Record<string, unknown> = {}) {
    super(400, 'REQ_001', 'validation_error', message, { issues, ...details });
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message = 'Request body is larger than the limit', details: Record<string, unknown> = {}) {
    super(413, 'REQ_002', 'payload_too_large', message, details);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message = 'Request body must be JSON (Content-Type: application/json)') {
    super(415, 'REQ_003', 'unsupported_media_type', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found', details: Record<string, unknown> = {}) {
    super(404, 'NOT_FOUND', 'not_found', message, details);
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(allowed: string[]) {
    super(405, 'METHOD_NOT_ALLOWED', 'method_not_allowed', `Method not allowed; use ${allowed.join(', ')}`, { allowed }, { Allow: allowed.join(', ') });
  }
}

/** RFC 6750 §3.1 error codes of a `WWW-Authenticate: Bearer` challenge (none: no credentials sent). */
export type BearerChallengeError = 'invalid_token' | 'invalid_request' | null;

/** The `WWW-Authenticate` value of a 401 (RFC 6750 §3): always the Bearer scheme. */
export function bearerChallenge(error: BearerChallengeError): string {
  return error === null ? 'Bearer realm="cco-sidecar"' : `Bearer realm="cco-sidecar", error="${error}"`;
}

/**
 * 401 AUTH_001. `challenge` is the RFC 6750 error of the `WWW-Authenticate` header:
 * `invalid_token` (default: a token was sent and is bad), `invalid_request` (the header is
 * malformed or repeated), `null` (no token at all, so the client may not know it needs one).
 */
export class UnauthorizedError extends AppError {
  constructor(message = 'Invalid or expired token', details: Record<string, unknown> = {}, challenge: BearerChallengeError = 'invalid_token') {
    super(401, 'AUTH_001', 'unauthorized', message, details, { 'WWW-Authenticate': bearerChallenge(challenge) });
  }
}

export class TokenExpiredError extends AppError {
  constructor(expiredAt: string) {
    super(401, 'AUTH_002', 'token_expired', 'Token has expired', { expired_at: expiredAt }, { 'WWW-Authenticate': bearerChallenge('invalid_token') });
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Permission denied', details: Record<string, unknown> = {}) {
    super(403, 'AUTH_003', 'forbidden', message, details);
  }
}

export class RateLimitError extends AppError {
  constructor(message: string, retryAfterSeconds: number, limit: number, details: Record<string, unknown> = {}) {
    const retry = Math.max(1, Math.ceil(retryAfterSeconds));
    super(429, 'RATE_001', 'rate_limited', message, { retry_after_seconds: retry, limit, ...details }, { 'Retry-After': String(retry) });
  }
}

export class ContextGenerationError extends AppError {
  constructor(message = 'Context generation failed', details: Record<string, unknown> = {}) {
    super(500, 'CTX_001', 'context_generation_failed', message, details);
  }
}

export class ContextBudgetError extends AppError {
  constructor(requested: number, cap: number) {
    super(413, 'CTX_002', 'context_budget_too_large', `Requested context budget ${requested} bytes is over the cap of ${cap} bytes`, { requested, cap });
  }
}

export class EventBusUnavailableError extends AppError {
  constructor(message = 'Event bus unavailable') {
    super(503, 'EVT_001', 'event_bus_unavailable', message);
  }
}

export class InvalidEventError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(400, 'EVT_002', 'invalid_event', message, details);
  }
}

export class CursorExpiredError extends AppError {
  constructor(message: string, oldestCursor: string) {
    super(410, 'EVT_003', 'cursor_expired', message, { oldest_cursor: oldestCursor });
  }
}

export class StorageWriteError extends AppError {
  constructor(message = 'Result storage write failed', diskFull = false) {
    super(diskFull ? 507 : 500, 'STR_001', diskFull ? 'insufficient_storage' : 'storage_write_failed', message);
  }
}

export class StorageReadError extends AppError {
  constructor(message = 'Result storage read failed') {
    super(503, 'STR_002', 'storage_unavailable', message);
  }
}

export class SpawnFailedError extends AppError {
  constructor(message = 'Agent spawn failed', details: Record<string, unknown> = {}) {
    super(500, 'AGT_001', 'spawn_failed', message, details);
  }
}

export class UnknownAgentTypeError extends AppError {
  constructor(agentType: string) {
    super(400, 'AGT_002', 'unknown_agent_type', `No command is configured for agent type '${agentType}'`, { agent_type: agentType });
  }
}

/** The agent lives on another node of the cluster, and that node did not answer in time. */
export class AgentNodeUnavailableError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(503, 'AGT_004', 'agent_node_unavailable', message, details);
  }
}

export class AgentCapacityError extends AppError {
  constructor(message = 'Agent capacity reached and the queue is full', details: Record<string, unknown> = {}) {
    super(429, 'AGT_003', 'agent_capacity_reached', message, details);
  }
}

/** A path is under another holder's lease (spec §8); `details.conflicts` names each one. */
export class LeaseConflictError extends AppError {
  constructor(message: string, conflicts: readonly object[], details: Record<string, unknown> = {}) {
    super(409, 'LSE_001', 'lease_conflict', message, { conflicts, ...details });
  }
}

/**
 * Protection codes (not in spec §1's table, which leaves these answers undefined; every one keeps
 * the contract's JSON shape). Documented in the README under "Protection".
 */

/** The `Host` header names a host this sidecar does not serve (DNS rebinding defence). */
export class MisdirectedRequestError extends AppError {
  constructor(host: string) {
    super(421, 'REQ_004', 'misdirected_request', 'Host header is missing or not allowed for this sidecar', { host });
  }
}

export class UriTooLongError extends AppError {
  constructor(limitBytes: number) {
    super(414, 'REQ_005', 'uri_too_long', `Request URL is longer than ${limitBytes} bytes`, { limit_bytes: limitBytes });
  }
}

export class HeadersTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(431, 'REQ_006', 'headers_too_large', `Request headers are larger than ${limitBytes} bytes`, { limit_bytes: limitBytes });
  }
}

export class RequestTimeoutError extends AppError {
  constructor() {
    super(408, 'REQ_007', 'request_timeout', 'The request was not received in time');
  }
}

/** The connection cap is reached; the client should retry later. */
export class ServerBusyError extends AppError {
  constructor(limit: number, retryAfterSeconds = 1) {
    super(
      503,
      'SRV_001',
      'server_busy',
      'Too many open connections; retry later',
      { limit, retry_after_seconds: retryAfterSeconds },
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
}

/** A security-relevant action was refused because its audit record could not be written. */
export class AuditUnavailableError extends AppError {
  constructor(message = 'The audit log cannot be written; the request was refused and not performed') {
    super(503, 'AUD_001', 'audit_unavailable', message);
  }
}
