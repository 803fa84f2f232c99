import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { TokenExpiredError, UnauthorizedError } from '../errors/index.js';
import { isPermission, PERMISSIONS, type Permission } from './permissions.js';
import type { RevocationStore } from './revocations.js';
import { assertStrictJwt, keyIdOf } from './strict-jwt.js';

export const TOKEN_ISSUER = 'cco-orchestration-sidecar';
export const TOKEN_AUDIENCE = 'cco-agents';
const ALGORITHM = 'HS256';
const CLOCK_TOLERANCE_S = 30;
/** Default of config `max_token_ttl_seconds`: no token may live longer (exp − iat) than a day. */
export const DEFAULT_MAX_TOKEN_TTL_S = 86_400;

/** What a verified token proves about its bearer (`ctx.state.auth`). */
export interface AuthInfo {
  sub: string;
  agent_type: string;
  project_id: string;
  permissions: ReadonlySet<Permission>;
  issue_id?: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface MintInput {
  sub: string;
  agent_type: string;
  project_id: string;
  permissions: readonly Permission[];
  issue_id?: string;
  /** Lifetime in seconds (default: the service's TTL). */
  ttl_seconds?: number;
  /** Absolute expiry cap (unix seconds): a derived token never outlives its parent. */
  not_after?: number;
}

/** A lifetime asked for is over `max_token_ttl_seconds`: refused, never silently shortened. */
export class TokenLifetimeError extends Error {
  constructor(
    readonly requested: number,
    readonly max: number,
  ) {
    super(`A token lifetime of ${requested} s is over the sidecar's maximum of ${max} s (config max_token_ttl_seconds)`);
  }
}

export interface MintedToken {
  token: string;
  jti: string;
  expires_at: string;
  exp: number;
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  agent_type: z.string().min(1).max(128),
  project_id: z.string().min(1).max(128),
  permissions: z.array(z.string()).max(PERMISSIONS.length * 2),
  issue_id: z.string().min(1).max(128).optional(),
  jti: z.string().min(1).max(128),
  iat: z.number(),
  exp: z.number(),
});

/**
 * Sign a sidecar token with `key`. Used by the server and, with the local key file, by the
 * operator's CLI (`cco orchestration token`), so both produce identical claims.
 */
export async function signToken(key: Uint8Array, input: MintInput, defaultTtlSeconds: number, maxTtlSeconds = DEFAULT_MAX_TOKEN_TTL_S): Promise<MintedToken> {
  const now = Math.floor(Date.now() / 1000);
  const ttl = input.ttl_seconds ?? defaultTtlSeconds;
  if (ttl > maxTtlSeconds) throw new TokenLifetimeError(ttl, maxTtlSeconds);
  let exp = now + ttl;
  if (input.not_after !== undefined) exp = Math.min(exp, input.not_after);
  const jti = randomUUID();
  const payload: Record<string, unknown> = {
    agent_type: input.agent_type,
    project_id: input.project_id,
    permissions: [...new Set(input.permissions)],
  };
  if (input.issue_id !== undefined) payload.issue_id = input.issue_id;
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: keyIdOf(key) })
    .setSubject(input.sub)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(key);
  return { token, jti, exp, expires_at: new Date(exp * 1000).toISOString() };
}

/**
 * Mints and verifies the sidecar's JWTs (jose, HS256 pinned). Verification first applies the
 * strict checks jose leaves open (strict-jwt.ts: duplicate names, foreign header parameters,
 * `kid`, sizes), then pins algorithm, issuer, audience, typ, required claims, max age and clock
 * tolerance (HAZARDS.md "Tokens"), refuses a lifetime (exp − iat) over `max_token_ttl_seconds`,
 * checks revocation, and turns *every* failure (including jose's TypeErrors on forged key types)
 * into a 401, never a 500.
 */
export class TokenService {
  /**
   * Verified tokens by their exact text. HMAC verification runs as a WebCrypto job on the libuv
   * pool, where it queues behind result fsyncs; a hit skips it. Expiry and revocation are still
   * checked on every hit, so caching never extends what a token may do.
   */
  private readonly verified = new LRUCache<string, AuthInfo>({ max: 10_000 });

  private readonly keyId: string;

  constructor(
    private readonly key: Uint8Array,
    private readonly revocations: RevocationStore,
    private readonly defaultTtlSeconds: number,
    /** Longest lifetime (exp − iat) a token may have, minted or presented. */
    readonly maxTtlSeconds: number = DEFAULT_MAX_TOKEN_TTL_S,
  ) {
    this.keyId = keyIdOf(key);
  }

  mint(input: MintInput): Promise<MintedToken> {
    return signToken(this.key, input, this.defaultTtlSeconds, this.maxTtlSeconds);
  }

  async verify(token: string): Promise<AuthInfo> {
    const cached = this.verified.get(token);
    if (cached) {
      const now = Math.floor(Date.now() / 1000);
      if (cached.exp + CLOCK_TOLERANCE_S <= now) {
        this.verified.delete(token);
        throw new TokenExpiredError(new Date(cached.exp * 1000).toISOString());
      }
      if (this.revocations.isRevoked(cached.jti)) throw new UnauthorizedError('Token has been revoked');
      return cached;
    }
    const info = await this.verifyUncached(token);
    this.verified.set(token, info);
    return info;
  }

  private async verifyUncached(token: string): Promise<AuthInfo> {
    assertStrictJwt(token, this.keyId);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        typ: 'JWT',
        requiredClaims: ['sub', 'jti', 'iat', 'nbf', 'exp', 'agent_type', 'project_id', 'permissions'],
        maxTokenAge: this.maxTtlSeconds,
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      // jose also raises JWTExpired for maxTokenAge (claim `iat`): only a passed `exp` is AUTH_002.
      if (err instanceof joseErrors.JWTExpired && err.claim === 'exp') {
        const exp = typeof err.payload.exp === 'number' ? new Date(err.payload.exp * 1000).toISOString() : 'unknown';
        throw new TokenExpiredError(exp);
      }
      throw new UnauthorizedError('Invalid or expired token');
    }
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) throw new UnauthorizedError('Token claims are malformed');
    const c = parsed.data;
    if (c.iat > Math.floor(Date.now() / 1000) + CLOCK_TOLERANCE_S) throw new UnauthorizedError('Token issued in the future');
    if (c.exp - c.iat > this.maxTtlSeconds) {
      throw new UnauthorizedError(`Token lifetime (exp − iat) is over the maximum of ${this.maxTtlSeconds} s`);
    }
    if (this.revocations.isRevoked(c.jti)) throw new UnauthorizedError('Token has been revoked');
    const info: AuthInfo = {
      sub: c.sub,
      agent_type: c.agent_type,
      project_id: c.project_id,
      permissions: new Set(c.permissions.filter(isPermission)),
      jti: c.jti,
      iat: c.iat,
      exp: c.exp,
    };
    if (c.issue_id !== undefined) info.issue_id = c.issue_id;
    return info;
  }

  revoke(jti: string, exp: number): Promise<void> {
    return this.revocations.revoke(jti, exp);
  }

  get revokedCount(): number {
    return this.revocations.size();
  }
}
