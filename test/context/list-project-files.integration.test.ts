import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ancestorDirs } from '../../src/context/files/ancestor-dirs.js';
import { listProjectFiles, parseLsFilesDebug, rebaseIgnore } from '../../src/context/worker/scan/list-project-files.js';
import { PathRules } from '../../src/context/files/path-rules.js';
import { cleanup, gitCommitAll, gitInit, tempDir, writeTree } from './helpers.js';

const rules = new PathRules({ defaultExcludes: true, exclude: [], secretFiles: [], storageRel: null });

/** A tree with every trap the walker must survive. */
async function trapTree(base: string): Promise<string> {
  const root = path.join(base, 'proj');
  await writeTree(root, {
    '.gitignore': 'logs/\n*.out\n!keep.out\n',
    'src/index.ts': 'export {};\n',
    'src/keep.out': 'kept by negation\n',
    'src/drop.out': 'ignored\n',
    'src/nested/.gitignore': 'generated/\nlocal-only.txt\n',
    'src/nested/a.ts': 'a\n',
    'src/nested/local-only.txt': 'ignored by nested\n',
    'src/nested/generated/g.ts': 'ignored dir\n',
    'logs/app.txt': 'ignored\n',
    'node_modules/dep/index.js': 'dep\n',
    'dist/bundle.js': 'built\n',
    '.env': 'TOKEN=abc\n',
    'keys/server.pem': 'key\n',
    'img/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]),
    'docs/readme.md': '# docs\n',
  });
  await writeTree(base, { 'outside/secret.txt': 'outside\n' });
  await fsp.symlink(path.join(base, 'outside'), path.join(root, 'link-to-outside'));
  await fsp.symlink(path.join(base, 'outside', 'secret.txt'), path.join(root, 'file-link-out.txt'));
  await fsp.symlink('src/index.ts', path.join(root, 'file-link-in.ts'));
  await fsp.symlink('.', path.join(root, 'loop-a'));
  await fsp.symlink('.', path.join(root, 'loop-b'));
  await fsp.symlink('/etc', path.join(root, 'etc-link'));
  execFileSync('mkfifo', [path.join(root, 'src', 'pipe1')]);
  execFileSync('mkfifo', [path.join(root, 'pipe2')]);
  return root;
}

const EXPECTED = ['.gitignore', 'docs/readme.md', 'img/logo.png', 'src/index.ts', 'src/keep.out', 'src/nested/.gitignore', 'src/nested/a.ts'];

describe('context/list-project-files', () => {
  let base: string;
  before(async () => {
    base = await tempDir();
  });
  after(() => cleanup(base));

  it('walker: honours every .gitignore level, never follows links, skips FIFOs, secrets and default excludes', async () => {
    const root = await trapTree(path.join(base, 'walk'));
    const started = Date.now();
    const listed = await listProjectFiles({ root, rules, useGit: false });
    expect(Date.now() - started).to.be.lessThan(5000);
    expect(listed.mode).to.equal('walk');
    expect(listed.entries.map((e) => e.path)).to.deep.equal(EXPECTED);
    expect(listed.directories).to.include.members(['', 'src', 'src/nested', 'docs']);
    expect(listed.directories).to.not.include.members(['logs', 'node_modules', 'loop-a', 'link-to-outside']);
    expect(listed.ignoreFiles.map((f) => f.dir).sort()).to.deep.equal(['', 'src/nested']);
    const idx = listed.entries.find((e) => e.path === 'src/index.ts')!;
    expect(idx.size).to.equal(11);
    expect(idx.mtimeMs).to.be.greaterThan(0);
  });

  it('git: lists tracked and untracked files that git does not ignore, with the same filters', async () => {
    const root = await trapTree(path.join(base, 'git'));
    gitInit(root);
    gitCommitAll(root, 'initial');
    await writeTree(root, { 'src/untracked.ts': 'new\n', 'src/also.out': 'ignored\n' });
    await fsp.rm(path.join(root, 'docs', 'readme.md'));
    const listed = await listProjectFiles({ root, rules, useGit: true });
    expect(listed.mode).to.equal('git');
    const paths = listed.entries.map((e) => e.path);
    expect(paths).to.deep.equal([...EXPECTED.filter((p) => p !== 'docs/readme.md'), 'src/untracked.ts'].sort());
    expect(listed.ignoreFiles.filter((f) => f.content.includes('logs/')).map((f) => f.dir)).to.deep.equal(['']);
  });

  it('git: sizes come from the index for clean files and from lstat for changed ones', async () => {
    const root = path.join(base, 'sizes');
    await writeTree(root, { 'a.txt': '12345\n', 'b.txt': 'x\n', 'c.txt': 'c\n' });
    gitInit(root);
    gitCommitAll(root, 'initial');
    await writeTree(root, { 'a.txt': '1234567890\n' });
    await fsp.rm(path.join(root, 'c.txt'));
    await fsp.symlink('b.txt', path.join(root, 'link.txt'));
    gitCommitAll(root, 'link');
    const listed = await listProjectFiles({ root, rules, useGit: true });
    expect(listed.entries.map((e) => [e.path, e.size])).to.deep.equal([
      ['a.txt', 11],
      ['b.txt', 2],
    ]);
    await writeTree(root, { 'b.txt': 'longer now\n' });
    const again = await listProjectFiles({ root, rules, useGit: true });
    expect(again.entries.find((e) => e.path === 'b.txt')!.size).to.equal(11);
  });

  it('parses git ls-files --debug output', () => {
    const out =
      '100644 abc 0\tsrc/a b.ts\0  ctime: 1:0\n  mtime: 1700000000:500000000\n  dev: 1\tino: 2\n  uid: 0\tgid: 0\n  size: 42\tflags: 0\n' +
      '120000 def 0\tlink\0  ctime: 1:0\n  mtime: 0:0\n  dev: 1\tino: 3\n  uid: 0\tgid: 0\n  size: 5\tflags: 0\n';
    expect(parseLsFilesDebug(out)).to.deep.equal([
      { path: 'src/a b.ts', mode: 0o100644, stage: 0, size: 42, mtimeMs: 1_700_000_000_500, skipWorktree: false },
      { path: 'link', mode: 0o120000, stage: 0, size: 5, mtimeMs: 0, skipWorktree: false },
    ]);
  });

  it('git: a root below the top level lists only its subtree, relative to it', async () => {
    const top = path.join(base, 'mono');
    await writeTree(top, { '.gitignore': 'packages/app/tmp/\n', 'packages/app/src/a.ts': 'a\n', 'packages/app/tmp/x.ts': 'x\n', 'packages/other/b.ts': 'b\n' });
    gitInit(top);
    gitCommitAll(top, 'initial');
    const listed = await listProjectFiles({ root: path.join(top, 'packages', 'app'), rules, useGit: true });
    expect(listed.entries.map((e) => e.path)).to.deep.equal(['src/a.ts']);
    expect(listed.ignoreFiles.some((f) => f.dir === '' && f.content.includes('/tmp/'))).to.equal(true);
  });

  it('rebases ignore files that live above the root', () => {
    expect(rebaseIgnore('*.log\n/packages/app/tmp/\n/other/\n!/packages/app/tmp/keep\n**/cache\n', 'packages/app/')).to.equal(
      '*.log\n/tmp/\n!/tmp/keep\n**/cache',
    );
  });

  it('derives the directories holding files', () => {
    expect(ancestorDirs(['a/b/c.ts', 'a/d.ts', 'e.ts'], { root: true })).to.deep.equal(['', 'a', 'a/b']);
    expect(ancestorDirs(['a/b/c.ts', 'a/d.ts', 'e.ts'])).to.deep.equal(['a', 'a/b']);
  });
});
