import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseGitIndex, readGitIndexFile, type IndexedFile } from '../../src/context/worker/scan/git-index-file.js';
import { listProjectFiles, parseLsFilesDebug } from '../../src/context/worker/scan/list-project-files.js';
import { PathRules } from '../../src/context/files/path-rules.js';
import { cleanup, git, gitCommitAll, gitInit, tempDir, writeTree } from './helpers.js';

const rules = new PathRules({ defaultExcludes: true, exclude: [], secretFiles: [], storageRel: null });

/** What git itself reports for the same index. */
function gitsView(root: string): IndexedFile[] {
  return parseLsFilesDebug(git(root, '-c', 'core.quotepath=off', 'ls-files', '-c', '-s', '--debug', '-z'));
}

/** A repo with the entry shapes that matter: nested dirs, non-ASCII names, a symlink, an executable. */
async function fixtureRepo(root: string): Promise<void> {
  await writeTree(root, {
    'README.md': '# r\n',
    'src/a.ts': 'export const a = 1;\n',
    'src/deep/er/b.ts': 'b\n',
    'src/deep/er/c.ts': 'cc\n',
    'src/ünïcødé/名前.ts': 'x\n',
    'bin/run.sh': '#!/bin/sh\n',
    [`long/${'d'.repeat(120)}/${'f'.repeat(120)}.txt`]: 'long\n',
  });
  await fsp.chmod(path.join(root, 'bin/run.sh'), 0o755);
  await fsp.symlink('src/a.ts', path.join(root, 'link.ts'));
  gitInit(root);
  gitCommitAll(root, 'initial');
}

describe('context/git-index-file', () => {
  let base: string;
  before(async () => {
    base = await tempDir();
  });
  after(() => cleanup(base));

  for (const version of [2, 3, 4]) {
    it(`reads a version ${version} index exactly as git ls-files --debug reports it`, async () => {
      const root = path.join(base, `v${version}`);
      await fixtureRepo(root);
      git(root, 'update-index', '--index-version', String(version));
      if (version === 3) git(root, 'update-index', '--skip-worktree', 'src/deep/er/c.ts');
      const index = await fsp.readFile(path.join(root, '.git', 'index'));
      expect(index.readUInt32BE(4)).to.equal(version);
      const mine = readGitIndexFile(path.join(root, '.git', 'index'));
      expect(mine).to.not.equal(null);
      const theirs = gitsView(root);
      expect(mine!.map(({ skipWorktree: _s, ...rest }) => rest)).to.deep.equal(theirs.map(({ skipWorktree: _s, ...rest }) => rest));
      expect(mine!.find((f) => f.path === 'src/ünïcødé/名前.ts')).to.not.equal(undefined);
      expect(mine!.find((f) => f.path === 'bin/run.sh')!.mode).to.equal(0o100755);
      expect(mine!.find((f) => f.path === 'link.ts')!.mode).to.equal(0o120000);
      expect(mine!.filter((f) => f.skipWorktree).map((f) => f.path)).to.deep.equal(version === 3 ? ['src/deep/er/c.ts'] : []);
    });
  }

  it('reports conflict stages and intent-to-add entries (no stat data)', async () => {
    const root = path.join(base, 'conflict');
    await writeTree(root, { 'f.txt': 'base\n' });
    gitInit(root);
    gitCommitAll(root, 'base');
    git(root, 'checkout', '-q', '-b', 'other');
    await writeTree(root, { 'f.txt': 'other\n' });
    gitCommitAll(root, 'other');
    git(root, 'checkout', '-q', 'main');
    await writeTree(root, { 'f.txt': 'main\n' });
    gitCommitAll(root, 'main');
    try {
      git(root, 'merge', '-q', 'other');
    } catch {
      // The conflict is the point.
    }
    await writeTree(root, { 'new.txt': 'planned\n' });
    git(root, 'add', '-N', 'new.txt');
    const mine = readGitIndexFile(path.join(root, '.git', 'index'))!;
    expect(mine.filter((f) => f.path === 'f.txt').map((f) => f.stage)).to.deep.equal([1, 2, 3]);
    expect(mine.find((f) => f.path === 'new.txt')!.mtimeMs).to.equal(0);
  });

  it('returns null for what it does not fully understand, so git answers instead', async () => {
    const root = path.join(base, 'odd');
    await fixtureRepo(root);
    const indexPath = path.join(root, '.git', 'index');
    const good = await fsp.readFile(indexPath);
    expect(parseGitIndex(good)).to.not.equal(null);
    // A flipped byte fails the trailing checksum.
    const corrupt = Buffer.from(good);
    corrupt[20] = corrupt[20]! ^ 0xff;
    expect(parseGitIndex(corrupt)).to.equal(null);
    // Truncated, wrong signature, empty.
    expect(parseGitIndex(good.subarray(0, good.length - 7))).to.equal(null);
    expect(parseGitIndex(Buffer.concat([Buffer.from('XXXX'), good.subarray(4)]))).to.equal(null);
    expect(parseGitIndex(Buffer.alloc(0))).to.equal(null);
    expect(readGitIndexFile(path.join(root, 'no-such-index'))).to.equal(null);
    // index.skipHash writes a zero trailer: still read, and still checked for structure.
    const skipHash = Buffer.from(good);
    skipHash.fill(0, skipHash.length - 20);
    expect(parseGitIndex(skipHash)).to.deep.equal(parseGitIndex(good));
    const skipHashCorrupt = Buffer.from(skipHash);
    skipHashCorrupt.writeUInt32BE(skipHashCorrupt.readUInt32BE(8) + 1, 8); // one entry too many
    expect(parseGitIndex(skipHashCorrupt)).to.equal(null);
    // A split index keeps most entries in another file.
    git(root, 'update-index', '--split-index');
    expect(readGitIndexFile(indexPath)).to.equal(null);
  });

  it('listProjectFiles gives the same answer from the index file and from git (split index fallback)', async () => {
    const root = path.join(base, 'same');
    await fixtureRepo(root);
    await writeTree(root, { 'src/a.ts': 'changed content\n', 'untracked.md': 'u\n' });
    await fsp.rm(path.join(root, 'src/deep/er/b.ts'));
    const fromFile = await listProjectFiles({ root, rules, useGit: true });
    git(root, 'update-index', '--split-index');
    expect(readGitIndexFile(path.join(root, '.git', 'index'))).to.equal(null);
    const fromGit = await listProjectFiles({ root, rules, useGit: true });
    expect(fromFile.entries).to.deep.equal(fromGit.entries);
    const paths = fromFile.entries.map((e) => e.path);
    expect(paths).to.include.members(['untracked.md', 'src/a.ts', 'bin/run.sh', 'src/ünïcødé/名前.ts']);
    expect(paths).to.not.include.members(['src/deep/er/b.ts', 'link.ts']);
    expect(fromFile.entries.find((e) => e.path === 'src/a.ts')!.size).to.equal('changed content\n'.length);
  });

  it('listProjectFiles stats sparse (skip-worktree) entries instead of trusting the index', async () => {
    const root = path.join(base, 'sparse');
    await fixtureRepo(root);
    git(root, 'update-index', '--index-version', '3');
    git(root, 'update-index', '--skip-worktree', 'src/deep/er/c.ts');
    await fsp.rm(path.join(root, 'src/deep/er/c.ts'));
    const listed = await listProjectFiles({ root, rules, useGit: true });
    expect(listed.entries.map((e) => e.path)).to.not.include('src/deep/er/c.ts');
    expect(listed.entries.map((e) => e.path)).to.include('src/deep/er/b.ts');
  });

  it('passes each provisional entry to whileGitRuns before status answers', async () => {
    const root = path.join(base, 'early');
    await fixtureRepo(root);
    await writeTree(root, { 'late.ts': 'untracked\n' });
    let provisional: string[] = [];
    const listed = await listProjectFiles({ root, rules, useGit: true, whileGitRuns: (entries) => (provisional = entries.map((e) => e.path)) });
    expect(provisional).to.include('src/a.ts');
    expect(provisional).to.not.include('late.ts');
    expect(listed.entries.map((e) => e.path)).to.include('late.ts');
  });
});
