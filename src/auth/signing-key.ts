import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { ensureSecureDir } from '../storage/atomic-write.js';

export const KEY_FILE_NAME = 'jwt.key';
const MIN_SECRET_BYTES = 32;

export class WeakKeyError extends Error {}

/** Where the key comes from when the storage dir's own key is not used. */
export interface KeySource {
  /** The secret itself (`CCO_SIDECAR_JWT_SECRET`). */
  secret?: string;
  /** A key file shared by the sidecars of a cluster (`jwt_secret_file`, `CCO_SIDECAR_JWT_SECRET_FILE`). */
  file?: string;
}

/**
 * The HS256 signing key. Given by config (`CCO_SIDECAR_JWT_SECRET`), read from a key file the
 * operator gave (the same file on every node of a cluster; never created here, since a key made
 * on one node would not be on the others), or kept in `<storage>/jwt.key` (created on first
 * start: 48 random bytes, mode 0600). Refuses a secret under 32 bytes and a key file that group
 * or others can read, because jose would happily sign with a 1-byte secret (HAZARDS.md).
 *
 * @example const key = await loadSigningKey(storage, { file: '/etc/cco/jwt.key' });
 */
export async function loadSigningKey(storageDir: string, configured?: string | KeySource, create = true): Promise<Uint8Array> {
  const source: KeySource = typeof configured === 'string' ? { secret: configured } : (configured ?? {});
  const configuredSecret = source.secret;
  if (configuredSecret !== undefined) {
    const bytes = new TextEncoder().encode(configuredSecret);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new WeakKeyError(`CCO_SIDECAR_JWT_SECRET is too weak: ${bytes.length} bytes, need at least ${MIN_SECRET_BYTES}`);
    }
    return bytes;
  }
  if (source.file !== undefined) {
    try {
      return await readKeyFile(source.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new WeakKeyError(
          `The signing key file ${source.file} does not exist; create it once (e.g. head -c 48 /dev/urandom | base64 > ${source.file}; chmod 600 ${source.file}) and copy it to every node`,
        );
      }
      if ((err as NodeJS.ErrnoException).code === 'ELOOP')
        throw new WeakKeyError(`The signing key file ${source.file} is a symbolic link; give the file itself`);
      throw err;
    }
  }
  const file = path.join(storageDir, KEY_FILE_NAME);
  try {
    return await readKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw err;
  }
  await ensureSecureDir(storageDir);
  const secret = randomBytes(48).toString('base64url');
  try {
    const handle = await fsp.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.writeFile(secret);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readKeyFile(file);
}

async function readKeyFile(file: string): Promise<Uint8Array> {
  const handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new WeakKeyError(`${file} is not a regular file`);
    if ((st.mode & 0o077) !== 0) {
      throw new WeakKeyError(`${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
    }
    const text = (await handle.readFile('utf8')).trim();
    const bytes = new TextEncoder().encode(text);
    if (bytes.length < MIN_SECRET_BYTES) throw new WeakKeyError(`${file} holds a weak key (${bytes.length} bytes)`);
    return bytes;
  } finally {
    await handle.close();
  }
}
