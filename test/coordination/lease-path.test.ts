import { expect } from 'chai';
import { mkdir, realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import { LeasePathError, normaliseLeasePath, resolveLeasePath } from '../../src/coordination/lease-path.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('lease paths', () => {
  it('normalises spellings of one path', () => {
    expect(normaliseLeasePath('./src//app/')).to.equal('src/app');
    expect(normaliseLeasePath('src/./a.ts')).to.equal('src/a.ts');
  });

  it('refuses what could name something outside the root or the root itself', () => {
    for (const p of ['', '.', './', '/etc', 'C:/x', 'a\\b', '..', 'a/../b', 'a\u0000', 'a\nb', `${'x'.repeat(256)}/a`, 'a/'.repeat(600)]) {
      expect(() => normaliseLeasePath(p), JSON.stringify(p)).to.throw(LeasePathError);
    }
  });

  it('resolves links inside the root to their target and refuses links out of it', async () => {
    const dir = await makeTempDir('cco-lease-path-');
    try {
      const root = await realpath(dir);
      await mkdir(path.join(root, 'real'));
      await symlink(path.join(root, 'real'), path.join(root, 'alias'));
      await symlink('/tmp', path.join(root, 'escape'));
      await symlink(root, path.join(root, 'self'));
      expect(await resolveLeasePath(root, 'alias/new/file.ts')).to.equal('real/new/file.ts');
      expect(await resolveLeasePath(root, 'missing/file.ts')).to.equal('missing/file.ts');
      expect(await resolveLeasePath(root, 'self/real')).to.equal('real');
      for (const p of ['escape', 'escape/x', 'self']) {
        let err: unknown;
        try {
          await resolveLeasePath(root, p);
        } catch (e) {
          err = e;
        }
        expect(err, p).to.be.instanceOf(LeasePathError);
      }
    } finally {
      await removeDir(dir);
    }
  });
});
