import type { TokenService } from '../auth/token-service.js';
import type { RefreshResponse, RevokeResponse } from '../contract/auth.js';
import type { Caller } from './caller.js';
import { requirePermission } from './access.js';

/** The longest life a token can have (the verifier's maximum age): how long a revocation is kept. */

/**
 * Token refresh and revocation (spec §2).
 *
 * @example const { token } = await auth.refresh(caller)
 */
export class AuthService {
  constructor(private readonly tokens: TokenService) {}

  /** A fresh token with the same claims and the same lifetime counted from now; the old jti is revoked. */
  async refresh(caller: Caller): Promise<RefreshResponse> {
    const minted = await this.tokens.mint({
      sub: caller.sub,
      agent_type: caller.agent_type,
      project_id: caller.project_id,
      permissions: [...caller.permissions],
      ...(caller.issue_id !== undefined ? { issue_id: caller.issue_id } : {}),
      ttl_seconds: Math.max(60, caller.exp - caller.iat),
    });
    await this.tokens.revoke(caller.jti, caller.exp);
    return { token: minted.token, expires_at: minted.expires_at };
  }

  /** Revoke any token by its jti (admin). */
  async revoke(caller: Caller, jti: string): Promise<RevokeResponse> {
    requirePermission(caller, 'admin');
    // The revoked token's exp is unknown here: keep the entry for the longest life a token can have.
    await this.tokens.revoke(jti, Math.floor(Date.now() / 1000) + this.tokens.maxTtlSeconds);
    return { revoked: true, jti, timestamp: new Date().toISOString() };
  }
}
