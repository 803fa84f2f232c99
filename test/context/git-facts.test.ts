import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { collectGitFacts } from '../../src/context/worker/git/git-facts.js';
import { detectWorkTree, runGit, type RunGit } from '../../src/context/git/run-git.js';
import { cleanup, git, gitCommitAll, gitInit, tempDir, writeTree } from './helpers.js';

/** `path → +N -M` as git itself counts the work tree against HEAD. */
function gitsCounts(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of git(root, 'diff', '--numstat', '--no-renames', 'HEAD').split('\n').filter(Boolean)) {
    const [added, deleted, file] = line.split('\t');
    out[file!] = added === '-' ? 'binary' : `+${added} -${deleted}`;
  }
  return out;
}

/** The real git, with the commands it was asked to run. */
function recordingGit(calls: string[][]): RunGit {
  return (args, cwd, opts) => {
    calls.push([...args]);
    return runGit(args, cwd, opts);
  };
}

describe('context/git-facts', () => {
  let base: string;
  before(async () => {
    base = await tempDir();
  });
  after(() => cleanup(base));

  async function repo(name: string): Promise<string> {
    const root = path.join(base, name);
    await writeTree(root, {
      'a.txt': 'one\ntwo\nthree\n',
      'b.txt': 'keep\nkeep\n',
      'c.txt': 'gone\ngone\n',
      'd.txt': 'staged then edited\n',
      'old-name.txt': Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(''),
      'bin.dat': Buffer.from([1, 2, 0, 3]),
    });
    gitInit(root);
    gitCommitAll(root, 'initial');
    await writeTree(root, { 'a.txt': 'one\n2\nthree\nfour\n', 'd.txt': 'staged\n', 'bin.dat': Buffer.from([1, 0, 9]), 'new.txt': 'n1\nn2\n' });
    git(root, 'add', 'd.txt');
    await writeTree(root, { 'd.txt': 'staged\nand edited again\n' });
    await fsp.rm(path.join(root, 'c.txt'));
    git(root, 'mv', 'old-name.txt', 'new-name.txt');
    return root;
  }

  it('counts plain modifications and deletions without a git diff, exactly as git does', async () => {
    const root = await repo('quick');
    const tree = (await detectWorkTree(root))!;
    const calls: string[][] = [];
    const facts = await collectGitFacts({ root, realRoot: root, tree, recentCommits: 5, maxUntrackedCounted: 100 }, { git: recordingGit(calls) });
    const byPath = Object.fromEntries(facts.changes.map((c) => [c.path, c]));
    const theirs = gitsCounts(root);
    for (const p of ['a.txt', 'c.txt', 'd.txt', 'bin.dat']) expect(byPath[p]?.diff, p).to.equal(theirs[p]);
    expect(byPath['a.txt']).to.include({ status: 'modified', diff: '+2 -1' });
    expect(byPath['c.txt']).to.include({ status: 'deleted', diff: '+0 -2' });
    expect(byPath['bin.dat']!.diff).to.equal('binary');
    expect(byPath['new.txt']).to.include({ status: 'untracked', diff: '+2 -0' });
    // The rename is paired by git (its own numstat run), never counted as +20 -20.
    expect(byPath['new-name.txt']).to.include({ status: 'renamed', oldPath: 'old-name.txt' });
    expect(byPath['new-name.txt']!.diff).to.equal('+0 -0');
    const diffs = calls.filter((a) => a.includes('diff'));
    expect(diffs, 'git diff runs only for the rename').to.have.length(1);
    expect(diffs[0]).to.include(':(literal)new-name.txt').and.not.include(':(literal)a.txt');
  });

  it("asks git for every count where bytes are not git's view (.gitattributes)", async () => {
    const root = await repo('attributes');
    await writeTree(root, { '.gitattributes': '*.txt text eol=lf\n' });
    gitCommitAll(root, 'attributes');
    await writeTree(root, { 'a.txt': 'one\nTWO\nthree\n' });
    const tree = (await detectWorkTree(root))!;
    const calls: string[][] = [];
    const facts = await collectGitFacts({ root, realRoot: root, tree, recentCommits: 5, maxUntrackedCounted: 100 }, { git: recordingGit(calls) });
    expect(facts.byteExact).to.equal(false);
    expect(facts.changes.find((c) => c.path === 'a.txt')!.diff)
      .to.equal(gitsCounts(root)['a.txt'])
      .and.equal('+1 -2');
    expect(calls.filter((a) => a.includes('diff'))[0]).to.include(':(literal)a.txt');
  });
});
