import fs from 'node:fs';
import { CONDITIONAL_SECRET_CONTENT_RE, CONDITIONAL_SECRET_RE } from './path-rules.js';
import { readContainedFile } from './safe-read.js';

/** Larger token-bearing candidates are not read: they count as carrying a token. */
export const TOKEN_FILE_MAX_BYTES = 256 * 1024;

/**
 * The `.npmrc`-with-token rule, one copy for the scan, the watcher and the build: files such as
 * `.npmrc` or `.pypirc` are secrets only when they carry tokens. Whatever cannot be read, or is
 * larger than `TOKEN_FILE_MAX_BYTES`, counts as carrying one (fail closed).
 *
 * @example mayCarryToken('web/.npmrc') && textCarriesToken('//registry/:_authToken=x') // true
 */
export function mayCarryToken(rel: string): boolean {
  return CONDITIONAL_SECRET_RE.test(rel);
}

export function textCarriesToken(text: string): boolean {
  return CONDITIONAL_SECRET_CONTENT_RE.test(text);
}

/** Synchronous door for worker threads: `abs` is opened without following a symlink. */
export function carriesTokenSync(abs: string, size: number): boolean {
  if (size > TOKEN_FILE_MAX_BYTES) return true;
  try {
    const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.size > TOKEN_FILE_MAX_BYTES) return true;
      const buf = Buffer.alloc(st.size);
      fs.readSync(fd, buf, 0, st.size, 0);
      return textCarriesToken(buf.toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return true;
  }
}

/** Asynchronous door for the main thread (the watcher), read through the contained path. */
export async function carriesToken(realRoot: string, rel: string): Promise<boolean> {
  const r = await readContainedFile(realRoot, rel, TOKEN_FILE_MAX_BYTES);
  return !r.ok || textCarriesToken(r.data.toString('utf8'));
}
