import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isContained, isSafeRelPath, looksBinary, readContainedFile, readContainedFileSync } from '../../src/context/files/safe-read.js';
import { cleanup, tempDir, writeTree } from './helpers.js';

describe('context/safe-read', () => {
  let base: string;
  let root: string;
  before(async () => {
    base = await tempDir();
    root = path.join(base, 'root');
    await writeTree(root, { 'a.txt': 'hello\n', 'dir/b.txt': 'inner\n', 'big.txt': 'x'.repeat(5000), 'bin.dat': Buffer.from([1, 2, 0, 3]) });
    await writeTree(base, { 'outside.txt': 'SECRET OUTSIDE\n', 'root-evil/x.txt': 'evil\n' });
    await fsp.symlink(path.join(base, 'outside.txt'), path.join(root, 'link-out.txt'));
    await fsp.symlink('a.txt', path.join(root, 'link-in.txt'));
    await fsp.symlink(base, path.join(root, 'dirlink-out'));
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
  });
  after(() => cleanup(base));

  it('reads a regular file inside the root (sync and async)', async () => {
    const s = readContainedFileSync(root, 'dir/b.txt', 1024);
    expect(s.ok && s.data.toString()).to.equal('inner\n');
    const a = await readContainedFile(root, 'a.txt', 1024);
    expect(a.ok && a.data.toString()).to.equal('hello\n');
  });

  it('never follows a symlink at the last component, in or out of the root', () => {
    expect(readContainedFileSync(root, 'link-out.txt', 1024)).to.deep.include({ ok: false, reason: 'symlink' });
    expect(readContainedFileSync(root, 'link-in.txt', 1024)).to.deep.include({ ok: false, reason: 'symlink' });
  });

  it('refuses a path whose directory component leaves the root', async () => {
    expect(readContainedFileSync(root, 'dirlink-out/outside.txt', 1024)).to.deep.include({ ok: false, reason: 'outside_root' });
    expect(await readContainedFile(root, 'dirlink-out/outside.txt', 1024)).to.deep.include({ ok: false, reason: 'outside_root' });
  });

  it('opens a FIFO without blocking and refuses it', async () => {
    const started = Date.now();
    expect(readContainedFileSync(root, 'fifo', 1024)).to.deep.include({ ok: false, reason: 'not_regular' });
    expect(await readContainedFile(root, 'fifo', 1024)).to.deep.include({ ok: false, reason: 'not_regular' });
    expect(Date.now() - started).to.be.lessThan(1000);
  });

  it('caps huge files and reports missing ones', () => {
    const r = readContainedFileSync(root, 'big.txt', 1000);
    expect(r.ok).to.equal(false);
    expect(!r.ok && r.reason).to.equal('too_large');
    expect(readContainedFileSync(root, 'nope.txt', 1000)).to.deep.include({ ok: false, reason: 'missing' });
  });

  it('rejects traversal and malformed relative paths before touching the file system', () => {
    for (const bad of ['../outside.txt', 'dir/../../outside.txt', '/etc/passwd', 'a\0b', '', './a.txt', 'dir//b.txt', 'x'.repeat(300)]) {
      expect(isSafeRelPath(bad), JSON.stringify(bad)).to.equal(false);
      expect(readContainedFileSync(root, bad, 1024)).to.deep.include({ ok: false });
    }
    expect(isSafeRelPath('dir/b.txt')).to.equal(true);
  });

  it('contains by path.relative, not by prefix (root-evil is a sibling)', () => {
    expect(isContained(root, path.join(base, 'root-evil', 'x.txt'))).to.equal(false);
    expect(isContained(root, path.join(root, 'dir', 'b.txt'))).to.equal(true);
  });

  it('detects binary content by a NUL byte', () => {
    const r = readContainedFileSync(root, 'bin.dat', 1024);
    expect(r.ok && looksBinary(r.data)).to.equal(true);
    expect(looksBinary(Buffer.from('text'))).to.equal(false);
  });
});
