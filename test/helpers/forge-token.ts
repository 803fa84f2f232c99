import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT } from 'jose';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/auth/token-service.js';

export type ForgeKey = Parameters<SignJWT['sign']>[0];

/** Every knob of a hand-made JWT; anything left out is what the sidecar itself would sign. */
export interface ForgeOptions {
  alg?: string;
  typ?: string;
  iss?: string;
  aud?: string;
  iat?: number;
  nbf?: number;
  /** null = no `exp` claim at all. */
  exp?: number | null;
  claims?: Record<string, unknown>;
}

/** Sign a JWT by hand, to test what verification accepts and refuses. */
export function forgeToken(key: ForgeKey, o: ForgeOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { agent_type: 'python-specialist', project_id: 'p', permissions: ['admin'], ...o.claims };
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'HS256', typ: o.typ ?? 'JWT' })
    .setSubject('forger')
    .setJti(`j-${Math.random()}`)
    .setIssuedAt(o.iat ?? now)
    .setNotBefore(o.nbf ?? now)
    .setIssuer(o.iss ?? TOKEN_ISSUER)
    .setAudience(o.aud ?? TOKEN_AUDIENCE);
  if (o.exp !== null) jwt = jwt.setExpirationTime(o.exp ?? now + 600);
  return jwt.sign(key);
}

/** The signing key a test sidecar created in its storage dir. */
export async function readStorageKey(storage: string): Promise<Uint8Array> {
  return new TextEncoder().encode((await readFile(path.join(storage, 'jwt.key'), 'utf8')).trim());
}
