import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { carriesToken, carriesTokenSync, mayCarryToken, TOKEN_FILE_MAX_BYTES } from '../../src/context/files/token-files.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('token files (.npmrc with a token): one rule for scan, watcher and build', () => {
  let root: string;
  before(async () => {
    root = await fsp.realpath(await makeTempDir('cco-token-files-'));
    await fsp.writeFile(path.join(root, '.npmrc'), '//registry.npmjs.org/:_authToken=npm_abc\n');
    await fsp.writeFile(path.join(root, 'plain.npmrc'), 'registry=https://registry.npmjs.org/\n');
    await fsp.mkdir(path.join(root, 'web'));
    await fsp.writeFile(path.join(root, 'web', '.npmrc'), 'save-exact=true\n');
    await fsp.writeFile(path.join(root, '.pypirc'), 'x'.repeat(TOKEN_FILE_MAX_BYTES + 1));
    await fsp.symlink(path.join(root, 'web', '.npmrc'), path.join(root, '.yarnrc'));
  });
  after(() => removeDir(root));

  it('names the candidates by file name only', () => {
    expect(['.npmrc', 'web/.npmrc', '.pypirc', 'pip.conf'].map(mayCarryToken)).to.deep.equal([true, true, true, true]);
    expect(['plain.npmrc', 'npmrc', 'src/app.ts'].map(mayCarryToken)).to.deep.equal([false, false, false]);
  });

  it('gives the same answer through the synchronous and the asynchronous door, failing closed', async () => {
    const cases: Array<[string, boolean]> = [
      ['.npmrc', true], // carries a token
      ['web/.npmrc', false], // no token
      ['.pypirc', true], // too large to read: counts as carrying one
      ['.yarnrc', true], // a symlink is never followed: counts as carrying one
      ['missing/.npmrc', true],
    ];
    for (const [rel, expected] of cases) {
      const abs = path.join(root, rel);
      const size = (await fsp.lstat(abs).catch(() => undefined))?.size ?? 0;
      expect(carriesTokenSync(abs, size), `sync ${rel}`).to.equal(expected);
      expect(await carriesToken(root, rel), `async ${rel}`).to.equal(expected);
    }
  });
});
