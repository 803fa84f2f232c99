import { expect } from 'chai';
import { lstat, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureSecureDir, writeFileAtomic } from '../../src/storage/atomic-write.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

/** HAZARDS.md "Writing files": the shared atomic writer never has write-file-atomic's flaws. */
describe('security: writing files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('cco-write-');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('replaces a symlink planted at the destination instead of writing through it', async () => {
    const target = path.join(dir, 'victim.txt');
    await writeFile(target, 'precious');
    await symlink(target, path.join(dir, 'out.json'));
    await writeFileAtomic(path.join(dir, 'out.json'), '{"a":1}');
    expect(await readFile(target, 'utf8')).to.equal('precious');
    expect((await lstat(path.join(dir, 'out.json'))).isSymbolicLink()).to.equal(false);
    expect(await readFile(path.join(dir, 'out.json'), 'utf8')).to.equal('{"a":1}');
  });

  it('creates 0600 files and never copies a wider mode from the file it replaces', async () => {
    await writeFile(path.join(dir, 'wide.json'), 'old', { mode: 0o666 });
    await writeFileAtomic(path.join(dir, 'wide.json'), 'new');
    await writeFileAtomic(path.join(dir, 'fresh.json'), 'new');
    expect((await stat(path.join(dir, 'wide.json'))).mode & 0o777).to.equal(0o600);
    expect((await stat(path.join(dir, 'fresh.json'))).mode & 0o777).to.equal(0o600);
  });

  it('leaves no temp file behind when the write fails, and keeps the old content', async () => {
    await writeFileAtomic(path.join(dir, 'keep.json'), 'old');
    const err = await writeFileAtomic(path.join(dir, 'missing-dir', 'x.json'), 'new').catch((e: NodeJS.ErrnoException) => e);
    expect((err as NodeJS.ErrnoException).code).to.equal('ENOENT');
    expect(await readdir(dir)).to.deep.equal(['keep.json']);
    expect(await readFile(path.join(dir, 'keep.json'), 'utf8')).to.equal('old');
  });

  it('makes storage dirs 0700, tightens a pre-existing open one, and refuses a symlinked dir', async () => {
    const open = path.join(dir, 'open');
    await ensureSecureDir(path.join(open, 'nested'));
    expect((await stat(open)).mode & 0o777).to.equal(0o700);
    const { chmod } = await import('node:fs/promises');
    await chmod(open, 0o777);
    await ensureSecureDir(open);
    expect((await stat(open)).mode & 0o777).to.equal(0o700);
    await symlink(open, path.join(dir, 'link'));
    const err = await ensureSecureDir(path.join(dir, 'link')).catch((e: Error) => e);
    expect(String(err)).to.match(/not a plain directory/);
  });
});
