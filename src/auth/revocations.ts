import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../storage/atomic-write.js';

/** Where revoked token ids are kept; the file, or Redis in a cluster (redis-revocation-store.ts). */
export interface RevocationStore {
  isRevoked(jti: string): boolean;
  /** `expiresAt` (unix seconds) lets the entry be dropped once the token could not verify anyway. */
  revoke(jti: string, expiresAt: number): Promise<void>;
  size(): number;
}

/**
 * Revocations kept in memory and persisted to `<storage>/revoked.json` (atomic write), so a
 * revoked token stays revoked across restarts. Expired entries are pruned on every write.
 */
export class FileRevocationStore implements RevocationStore {
  private readonly entries = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(storageDir: string): Promise<FileRevocationStore> {
    const store = new FileRevocationStore(path.join(storageDir, 'revoked.json'));
    try {
      const parsed: unknown = JSON.parse(await fsp.readFile(store.file, 'utf8'));
      if (parsed && typeof parsed === 'object') {
        for (const [jti, exp] of Object.entries(parsed as Record<string, unknown>)) {
          if (typeof exp === 'number') store.entries.set(jti, exp);
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        // A torn file cannot happen with atomic writes; anything else must not silently unrevoke.
        throw new Error(`Cannot read revocation list ${store.file}: ${(err as Error).message}`, { cause: err });
      }
    }
    return store;
  }

  isRevoked(jti: string): boolean {
    return this.entries.has(jti);
  }

  size(): number {
    return this.entries.size;
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    this.entries.set(jti, expiresAt);
    const now = Math.floor(Date.now() / 1000);
    for (const [id, exp] of this.entries) if (exp < now - 120) this.entries.delete(id);
    // Serialise writes so the file always reflects the newest map.
    const snapshot = JSON.stringify(Object.fromEntries(this.entries));
    this.writing = this.writing.catch(() => undefined).then(() => writeFileAtomic(this.file, snapshot));
    await this.writing;
  }
}
