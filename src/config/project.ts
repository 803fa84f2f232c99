import { existsSync } from 'node:fs';
import path from 'node:path';

const PROJECT_MARKERS = ['.git', 'package.json', 'Cargo.toml', 'pyproject.toml', 'go.mod'];

/** Walk up from `start` to the nearest directory holding a project marker, else `start`. */
export function detectProjectRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (PROJECT_MARKERS.some((m) => existsSync(path.join(dir, m)))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start);
    dir = parent;
  }
}

/** The root's base name reduced to the id alphabet `[A-Za-z0-9._-]`. */
export function projectIdFromRoot(root: string): string {
  const reduced = path
    .basename(root)
    .replace(/[^A-Za-z0-9._-]/g, '')
    .replace(/^[._-]+/, '')
    .replace(/\.\.+/g, '.');
  return (reduced || 'project').slice(0, 128);
}
