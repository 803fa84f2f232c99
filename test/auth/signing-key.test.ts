import { expect } from 'chai';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadSigningKey, WeakKeyError } from '../../src/auth/signing-key.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('signing key', () => {
  let dir: string;
  beforeEach(async () => { dir = await makeTempDir(); });
  afterEach(async () => { await removeDir(dir); });

  it('creates a 0600 key of at least 32 bytes once and reuses it', async () => {
    const first = await loadSigningKey(dir);
    const second = await loadSigningKey(dir);
    expect(first.length).to.be.at.least(32);
    expect(Buffer.from(second).equals(Buffer.from(first))).to.equal(true);
    expect((await stat(path.join(dir, 'jwt.key'))).mode & 0o777).to.equal(0o600);
  });

  it('refuses a group- or world-readable key file', async () => {
    await loadSigningKey(dir);
    await chmod(path.join(dir, 'jwt.key'), 0o644);
    try {
      await loadSigningKey(dir);
      expect.fail('should refuse');
    } catch (err) {
      expect(err).to.be.instanceOf(WeakKeyError);
      expect((err as Error).message).to.contain('chmod 600');
    }
  });

  it('refuses a short key file and a short configured secret', async () => {
    await writeFile(path.join(dir, 'jwt.key'), 'short', { mode: 0o600 });
    let error: unknown;
    try { await loadSigningKey(dir); } catch (err) { error = err; }
    expect(error).to.be.instanceOf(WeakKeyError);
    error = undefined;
    try { await loadSigningKey(dir, 'a'); } catch (err) { error = err; }
    expect(error).to.be.instanceOf(WeakKeyError);
    expect(await readFile(path.join(dir, 'jwt.key'), 'utf8')).to.equal('short');
  });

  it('uses a strong configured secret without touching the disk', async () => {
    const key = await loadSigningKey(path.join(dir, 'none'), 's'.repeat(40));
    expect(key.length).to.equal(40);
  });
});
