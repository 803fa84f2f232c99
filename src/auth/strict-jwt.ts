import { createHash } from 'node:crypto';
import { parse as parseJsonAst, type AnyNode } from '@humanwhocodes/momoa';
import { UnauthorizedError } from '../errors/index.js';

/** Longest base64url JOSE header accepted (ours is about 80 characters). */
export const MAX_HEADER_SEGMENT = 512;
/** Longest base64url claims segment accepted (ours are a few hundred characters). */
export const MAX_PAYLOAD_SEGMENT = 16 * 1024;

/** The only JOSE header parameters the sidecar signs, and so the only ones it accepts. */
const ALLOWED_HEADER = new Set(['alg', 'typ', 'kid']);
/**
 * Parameters that point verification at another key or change its rules (RFC 7515 §4.1,
 * RFC 8725 §3.10): named in the refusal so the reason is plain.
 */
const KEY_POINTERS = new Set(['jku', 'x5u', 'jwk', 'x5c', 'crit']);
const SEGMENT = /^[A-Za-z0-9_-]*$/;

/**
 * The `kid` the sidecar puts in every token it signs: a fingerprint of its key (never the key),
 * so a token signed for another sidecar or an older key is refused by name, not by accident.
 */
export function keyIdOf(key: Uint8Array): string {
  return createHash('sha256').update('cco-sidecar-kid\0').update(key).digest('base64url').slice(0, 16);
}

function refuse(message: string): never {
  throw new UnauthorizedError(message);
}

/** First member name that appears twice in one object, anywhere in the document. */
function duplicateMember(node: AnyNode): string | undefined {
  if (node.type === 'Document') return duplicateMember(node.body);
  if (node.type === 'Array') {
    for (const element of node.elements) {
      const dup = duplicateMember(element.value);
      if (dup !== undefined) return dup;
    }
  }
  if (node.type === 'Object') {
    const seen = new Set<string>();
    for (const member of node.members) {
      const name = member.name.type === 'String' ? member.name.value : member.name.name;
      if (seen.has(name)) return name;
      seen.add(name);
      const dup = duplicateMember(member.value);
      if (dup !== undefined) return dup;
    }
  }
  return undefined;
}

/** Decode one segment as a JSON object whose member names are unique (RFC 7515 §5.2, RFC 7519 §4). */
function decodeSegment(segment: string, what: string): Record<string, unknown> {
  let text: string;
  let value: unknown;
  try {
    text = Buffer.from(segment, 'base64url').toString('utf8');
    value = JSON.parse(text);
  } catch {
    return refuse(`Token ${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(`Token ${what} is not a JSON object`);
  const dup = duplicateMember(parseJsonAst(text));
  if (dup !== undefined) refuse(`Token ${what} names '${dup.slice(0, 64)}' twice`);
  return value as Record<string, unknown>;
}

/**
 * Checks jose leaves to the caller (RFC 8725 "JWT Best Current Practices"), run before the
 * signature is verified: bounded segment sizes, no duplicate member names in the header or the
 * claims (JSON.parse would silently keep the last), no header parameter the sidecar does not
 * sign (`jku`, `x5u`, `jwk`, `x5c`, `crit`, …), and a `kid` that is absent or the sidecar's own.
 * Every refusal is a 401 AUTH_001.
 */
export function assertStrictJwt(token: string, ownKeyId: string): void {
  const parts = token.split('.');
  if (parts.length !== 3) refuse('Token is not a compact JWS');
  const [header, payload] = parts as [string, string, string];
  if (header.length > MAX_HEADER_SEGMENT) refuse(`Token header is longer than ${MAX_HEADER_SEGMENT} characters`);
  if (payload.length > MAX_PAYLOAD_SEGMENT) refuse(`Token claims are longer than ${MAX_PAYLOAD_SEGMENT} characters`);
  if (!SEGMENT.test(header) || !SEGMENT.test(payload)) refuse('Token is not base64url');
  const jose = decodeSegment(header, 'header');
  for (const name of Object.keys(jose)) {
    if (KEY_POINTERS.has(name)) refuse(`Token header parameter '${name}' is not accepted`);
    if (!ALLOWED_HEADER.has(name)) refuse(`Token header parameter '${name.slice(0, 64)}' is not accepted`);
  }
  if (Object.hasOwn(jose, 'kid') && jose.kid !== ownKeyId) refuse("Token kid does not name this sidecar's key");
  decodeSegment(payload, 'claims');
}
