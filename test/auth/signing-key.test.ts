import { expect } from 'chai';
import { chmod, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadSigningKey, WeakKeyError } from '../../src/auth/signing-key.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('signing key', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

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
    try {
      await loadSigningKey(dir);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(WeakKeyError);
    error = undefined;
    try {
      await loadSigningKey(dir, 'a');
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(WeakKeyError);
    expect(await readFile(path.join(dir, 'jwt.key'), 'utf8')).to.equal('short');
  });

  it('uses a strong configured secret without touching the disk', async () => {
    const key = await loadSigningKey(path.join(dir, 'none'), 's'.repeat(40));
    expect(key.length).to.equal(40);
  });

  it('reads a shared key file the operator gave, never creates one, and refuses it readable by others or as a link', async () => {
    const shared = path.join(dir, 'cluster.key');
    let error: unknown;
    try {
      await loadSigningKey(path.join(dir, 'a'), { file: shared });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(WeakKeyError);
    expect((error as Error).message)
      .to.contain(`The signing key file ${shared} does not exist`)
      .and.contain('copy it to every node');
    await writeFile(shared, `${'k'.repeat(48)}\n`, { mode: 0o600 });
    const onA = await loadSigningKey(path.join(dir, 'a'), { file: shared });
    const onB = await loadSigningKey(path.join(dir, 'b'), { file: shared });
    expect(Buffer.from(onA).toString()).to.equal('k'.repeat(48));
    expect(Buffer.from(onB).equals(Buffer.from(onA))).to.equal(true);
    // Neither node made a key of its own.
    for (const node of ['a', 'b']) expect(await stat(path.join(dir, node, 'jwt.key')).catch(() => undefined)).to.equal(undefined);
    const link = path.join(dir, 'link.key');
    await symlink(shared, link);
    error = undefined;
    try {
      await loadSigningKey(dir, { file: link });
    } catch (err) {
      error = err;
    }
    expect((error as Error).message).to.contain('is a symbolic link');
    await chmod(shared, 0o640);
    error = undefined;
    try {
      await loadSigningKey(dir, { file: shared });
    } catch (err) {
      error = err;
    }
    expect((error as Error).message).to.contain(`chmod 600 ${shared}`);
  });
});
