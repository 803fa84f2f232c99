import { createHash } from 'node:crypto';

/**
 * What happened to an audited action:
 * - `intent`: written before a mutating request's handler runs (the request is refused if this
 *   line cannot be written);
 * - `success` (< 400), `denied` (401, 403, 421), `failure` (other 4xx, e.g. 429), `error` (5xx):
 *   written once the answer is known.
 */
export const AUDIT_OUTCOMES = ['intent', 'success', 'denied', 'failure', 'error'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One line of `<storage>/audit.log` (JSON lines). Absent facts are `null`, never omitted. */
export interface AuditEntry {
  time: string;
  request_id: string | null;
  sub: string | null;
  jti: string | null;
  agent_type: string | null;
  project_id: string | null;
  /** `POST /api/results` for HTTP requests (the route template), or a verb such as `agent.kill`. */
  action: string;
  /** The concrete target: the request path (never its query string), or e.g. `agent:<id>`. */
  resource: string;
  outcome: AuditOutcome;
  status: number | null;
  /** Contract error code of a refused request (AUTH_001, RATE_001, …). */
  code?: string;
  /** Client address of an HTTP request. */
  remote?: string;
  /** Extra facts (pid, signal, …); secret-looking keys and JWTs are replaced by fingerprints. */
  details?: Record<string, unknown>;
}

/** What a caller passes to `AuditLog.record`; time is added and everything is sanitised. */
export type AuditRecord = Partial<Omit<AuditEntry, 'time' | 'action' | 'resource' | 'outcome'>> & Pick<AuditEntry, 'action' | 'resource' | 'outcome'>;

const MAX_STRING = 1024;
const MAX_DETAIL_DEPTH = 4;
const MAX_DETAIL_ENTRIES = 50;
const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\bBearer\s+[^\s"]+/gi;
const SECRET_KEY = /token|secret|passw|authorization|api[-_]?key|private|credential|cookie|signature|^key$|_key$/i;
/**
 * Characters JSON.stringify leaves raw but that can rewrite a terminal or a reader's view of the
 * line: DEL and C1 controls, soft hyphen, bidi overrides/isolates, zero-width characters, line and
 * paragraph separators, BOM and interlinear annotations. (C0 controls are already escaped.)
 */
const UNSAFE_CHARS = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

/** A short, stable, non-reversible stand-in for a secret value. */
export function fingerprint(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
}

/** Cheap pre-check: only strings that could hold a JWT or a bearer token go through the replaces. */
const MAYBE_SECRET = /eyJ|bearer/i;
/** Non-global twin of UNSAFE_CHARS for a test without lastIndex state. */
const HAS_UNSAFE = new RegExp(UNSAFE_CHARS.source);

function cleanString(value: string): string {
  // Almost every value (ids, routes, paths) is short and clean: skip building new strings.
  if (value.length <= MAX_STRING && !MAYBE_SECRET.test(value)) return value;
  const redacted = value.replace(JWT_LIKE, (jwt) => `[jwt ${fingerprint(jwt)}]`).replace(BEARER, (b) => `Bearer [${fingerprint(b)}]`);
  return redacted.length > MAX_STRING ? `${redacted.slice(0, MAX_STRING)}…[${redacted.length - MAX_STRING} more]` : redacted;
}

function cleanValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return cleanString(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return String(typeof value);
  if (depth >= MAX_DETAIL_DEPTH) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, MAX_DETAIL_ENTRIES).map((v) => cleanValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>).slice(0, MAX_DETAIL_ENTRIES)) {
    // defineProperty, not assignment: a `__proto__` key must stay a plain data key.
    const safeKey = cleanString(key);
    const cleaned = SECRET_KEY.test(key) ? (typeof v === 'string' ? fingerprint(v) : '[redacted]') : cleanValue(v, depth + 1);
    Object.defineProperty(out, safeKey, { value: cleaned, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Build the stored entry: every string bounded, JWTs and secret-named values fingerprinted. */
export function toAuditEntry(record: AuditRecord, now: Date = new Date()): AuditEntry {
  const str = (v: string | null | undefined): string | null => (v === undefined || v === null ? null : cleanString(String(v)));
  const entry: AuditEntry = {
    time: now.toISOString(),
    request_id: str(record.request_id),
    sub: str(record.sub),
    jti: str(record.jti),
    agent_type: str(record.agent_type),
    project_id: str(record.project_id),
    action: cleanString(record.action),
    resource: cleanString(record.resource),
    outcome: record.outcome,
    status: typeof record.status === 'number' ? record.status : null,
  };
  if (record.code) entry.code = cleanString(record.code);
  if (record.remote) entry.remote = cleanString(record.remote);
  if (record.details && Object.keys(record.details).length > 0) entry.details = cleanValue(record.details, 0) as Record<string, unknown>;
  return entry;
}

/** Escape what JSON.stringify leaves raw but a terminal would interpret (see UNSAFE_CHARS). */
export function escapeUnsafe(text: string): string {
  if (!HAS_UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_CHARS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One JSON line, newline-terminated, with every control or invisible character escaped. */
export function serializeAuditEntry(entry: AuditEntry): string {
  return `${escapeUnsafe(JSON.stringify(entry))}\n`;
}

/** Printable ASCII without `"` or `\`: JSON-encodes as itself between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function jsonString(value: string | null): string {
  if (value === null) return 'null';
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}

let isoMs = -1;
let isoText = '';

/** `toISOString` once per millisecond: under load many lines share one. */
function isoTime(now: number): string {
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/**
 * The line `serializeAuditEntry(toAuditEntry(record))` gives, built without the intermediate
 * object and re-serialisation: it is written twice per mutating request. Records with details
 * take the general path.
 */
export function auditLine(record: AuditRecord, now: number = Date.now()): string {
  if (record.details && Object.keys(record.details).length > 0) return serializeAuditEntry(toAuditEntry(record, new Date(now)));
  const str = (v: string | null | undefined): string => jsonString(v === undefined || v === null ? null : cleanString(String(v)));
  let line =
    `{"time":"${isoTime(now)}","request_id":${str(record.request_id)},"sub":${str(record.sub)},"jti":${str(record.jti)}` +
    `,"agent_type":${str(record.agent_type)},"project_id":${str(record.project_id)},"action":${str(record.action)}` +
    `,"resource":${str(record.resource)},"outcome":${jsonString(record.outcome)},"status":${typeof record.status === 'number' ? JSON.stringify(record.status) : 'null'}`;
  if (record.code) line += `,"code":${str(record.code)}`;
  if (record.remote) line += `,"remote":${str(record.remote)}`;
  return `${escapeUnsafe(line)}}\n`;
}

/** The outcome of an HTTP answer. */
export function outcomeOfStatus(status: number): Exclude<AuditOutcome, 'intent'> {
  if (status === 401 || status === 403 || status === 421) return 'denied';
  if (status >= 500) return 'error';
  if (status >= 400) return 'failure';
  return 'success';
}
