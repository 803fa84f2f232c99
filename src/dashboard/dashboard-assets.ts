import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A static file of the page, held in memory (the whole page is a few tens of KiB). */
export interface DashboardAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Asset names are flat and plain: nothing a request names can leave the directory. */
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg)$/;

/**
 * CSP of the page (spec §9): its own scripts, styles and API only; no inline script, no eval,
 * no frames, no forms, no other origin.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The files of `web/dashboard/` in the package (shipped as they are: no bundler, no CDN), read
 * once. The directory sits at the package root, beside `dist/`; it is found from this module's
 * own location, so it works from `dist/` and from an installed package alike.
 */
export function loadDashboardAssets(dir: string = defaultAssetDir()): ReadonlyMap<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile() || !ASSET_NAME.test(entry.name)) continue;
    const ext = entry.name.slice(entry.name.lastIndexOf('.'));
    assets.set(entry.name, { body: readFileSync(`${dir}/${entry.name}`), contentType: CONTENT_TYPES[ext]! });
  }
  if (!assets.has('index.html')) throw new Error(`Dashboard files are missing (no index.html in ${dir})`);
  return assets;
}

export function isAssetName(name: string): boolean {
  return ASSET_NAME.test(name);
}

function defaultAssetDir(): string {
  // dist/src/dashboard/ → package root (three levels up); under tsx, src/dashboard/ → two.
  const up = import.meta.url.endsWith('.ts') ? '../../' : '../../../';
  return fileURLToPath(new URL(`${up}web/dashboard`, import.meta.url));
}
