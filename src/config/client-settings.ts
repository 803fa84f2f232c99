import os from 'node:os';
import path from 'node:path';

export const DEFAULT_SIDECAR_URL = 'http://127.0.0.1:3001';
export const DEFAULT_STORAGE = path.join(os.homedir(), '.cco', 'orchestration');

/** Where a client finds the sidecar and its credentials: flags < env (< state file, see CLI). */
export interface ClientSettings {
  /** Explicit URL (flag or CCO_SIDECAR_URL); undefined = ask the state file, then the default. */
  url?: string;
  token?: string;
  storagePath: string;
  /** CCO_SIDECAR_JWT_SECRET, when the operator runs the sidecar with an env-given key. */
  jwtSecret?: string;
  /** A desktop session to open a browser in (a display on Linux; macOS/Windows unless over SSH); never under CI. */
  desktop?: boolean;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/**
 * The sidecar base URL from `SIDECAR_URL`, the variable spawned agents get
 * (`http://host:port/api`): the `/api` suffix is dropped.
 */
export function agentSidecarUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = env.SIDECAR_URL?.trim();
  return url ? url.replace(/\/+$/, '').replace(/\/api$/, '') : undefined;
}

/** The only place the CLI reads the environment. */
export function clientSettings(flags: { url?: string; token?: string; 'storage-path'?: string }, env: NodeJS.ProcessEnv = process.env): ClientSettings {
  const settings: ClientSettings = {
    storagePath: path.resolve(expandHome(flags['storage-path'] ?? env.CCO_SIDECAR_STORAGE ?? DEFAULT_STORAGE)),
    desktop: hasDesktop(env),
  };
  const url = flags.url ?? env.CCO_SIDECAR_URL;
  if (url) settings.url = url.replace(/\/+$/, '');
  const token = flags.token ?? env.JWT_TOKEN;
  if (token) settings.token = token;
  if (env.CCO_SIDECAR_JWT_SECRET) settings.jwtSecret = env.CCO_SIDECAR_JWT_SECRET;
  return settings;
}

function hasDesktop(env: NodeJS.ProcessEnv): boolean {
  if (env.CI) return false;
  if (process.platform === 'linux' || process.platform === 'freebsd') return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  return !env.SSH_CONNECTION;
}
