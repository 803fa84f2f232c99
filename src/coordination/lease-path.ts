import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** Longest accepted lease path (bytes of UTF-8) and component, below the file system's own limits. */
export const MAX_LEASE_PATH_BYTES = 1_024;
const MAX_COMPONENT_BYTES = 255;

/** Why a lease path was refused; the route turns it into 400 REQ_001 with this message. */
export class LeasePathError extends Error {}

/**
 * The syntactic half of lease-path validation: a relative POSIX path naming something inside the
 * project root, in one canonical spelling (`./src//app/` → `src/app`), so that two spellings of
 * one file can never hold two leases. Refuses NUL and control characters, absolute and drive
 * paths, backslashes, `..` anywhere, empty paths and the root itself (a lease on `.` would lock
 * the whole tree; lease the directories you work in).
 *
 * @example normaliseLeasePath('./src//app/') // 'src/app'
 */
export function normaliseLeasePath(raw: string): string {
  if (raw.length === 0) throw new LeasePathError('must not be empty');
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new LeasePathError('must not contain NUL or control characters');
  if (raw.includes('\\')) throw new LeasePathError('must use / as separator (no backslash)');
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw new LeasePathError('must be relative to the project root');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new LeasePathError('must not contain ..');
  if (parts.length === 0) throw new LeasePathError('must name a file or directory inside the project root, not the root itself');
  if (parts.some((p) => Buffer.byteLength(p) > MAX_COMPONENT_BYTES)) throw new LeasePathError(`has a component longer than ${MAX_COMPONENT_BYTES} bytes`);
  const joined = parts.join('/');
  if (Buffer.byteLength(joined) > MAX_LEASE_PATH_BYTES) throw new LeasePathError(`is longer than ${MAX_LEASE_PATH_BYTES} bytes`);
  return joined;
}

/**
 * The file-system half: follows the symlinks on the way (the path itself need not exist: an
 * agent leases a file before creating it) and returns the path relative to the real project
 * root. A link that leads out of the root is refused; a link inside it is replaced by its target,
 * so a lease on `lib` (→ `src`) and one on `src/a.ts` do conflict.
 *
 * @example await resolveLeasePath('/repo', 'src/app.ts') // 'src/app.ts'
 */
export async function resolveLeasePath(realRoot: string, normalised: string): Promise<string> {
  const parts = normalised.split('/');
  // Longest existing prefix: realpath it, then append the components that do not exist yet.
  for (let i = parts.length; i > 0; i--) {
    const prefix = path.join(realRoot, ...parts.slice(0, i));
    let real: string;
    try {
      real = await fsp.realpath(prefix);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      if (code === 'ELOOP') throw new LeasePathError('is a symbolic link loop');
      if (code === 'ENAMETOOLONG') throw new LeasePathError('is too long for the file system');
      throw new LeasePathError('cannot be resolved inside the project root');
    }
    const rel = path.relative(realRoot, real);
    if (rel === '' && i === parts.length) throw new LeasePathError('resolves to the project root itself');
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new LeasePathError('leads outside the project root (symbolic link)');
    const rest = parts.slice(i);
    const joined = [...(rel === '' ? [] : rel.split(path.sep)), ...rest].join('/');
    if (joined === '') throw new LeasePathError('resolves to the project root itself');
    return joined;
  }
  return normalised;
}
