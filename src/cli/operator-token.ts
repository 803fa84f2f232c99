import { loadSigningKey } from '../auth/signing-key.js';
import { PERMISSIONS, type Permission } from '../auth/permissions.js';
import { DEFAULT_MAX_TOKEN_TTL_S, signToken, type MintInput, type MintedToken } from '../auth/token-service.js';
import { readState, type SidecarState } from '../sidecar/state-file.js';
import type { ClientSettings } from '../config/client-settings.js';

const OPERATOR_TTL_S = 3_600;

/**
 * Sign a token with the local key in the storage dir (the operator's own machine). Defaults
 * (project id, maximum lifetime) come from the running sidecar's state file, so a token minted
 * from any working directory is valid for that sidecar. A lifetime over the sidecar's
 * `max_token_ttl_seconds` throws `TokenLifetimeError` (the sidecar would refuse the token).
 */
export async function signLocalToken(settings: ClientSettings, input: Omit<MintInput, 'project_id'> & { project_id?: string }): Promise<MintedToken> {
  const state = await readState(settings.storagePath);
  const projectId = input.project_id ?? state?.project_id;
  if (!projectId) {
    throw new Error(`No running sidecar recorded in ${settings.storagePath}; pass --project-id or start the sidecar first`);
  }
  // The same key as the sidecar: its secret, else its shared key file, else the storage dir's key.
  const file = settings.jwtSecretFile ?? state?.jwt_secret_file;
  const key = await loadSigningKey(settings.storagePath, { secret: settings.jwtSecret, ...(file ? { file } : {}) }, false).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new Error(`No signing key in ${settings.storagePath}; start the sidecar once (cco orchestration start) or pass --token`);
      throw err;
    },
  );
  return signToken(key, { ...input, project_id: projectId }, OPERATOR_TTL_S, state?.max_token_ttl_seconds ?? DEFAULT_MAX_TOKEN_TTL_S);
}

/** The admin token the CLI uses when neither --token nor JWT_TOKEN is given. */
export async function operatorToken(settings: ClientSettings): Promise<string> {
  const minted = await signLocalToken(settings, {
    sub: 'operator',
    agent_type: 'operator',
    permissions: [...PERMISSIONS] as Permission[],
    ttl_seconds: 600,
  });
  return minted.token;
}

export async function sidecarUrl(settings: ClientSettings): Promise<{ url: string; state?: SidecarState }> {
  if (settings.url) return { url: settings.url };
  const state = await readState(settings.storagePath);
  if (state) return { url: state.url, state };
  return { url: 'http://127.0.0.1:3001' };
}
