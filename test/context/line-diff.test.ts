import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { countLineChanges } from '../../src/context/worker/git/line-diff.js';
import { worktreeDiff } from '../../src/context/worker/git/worktree-diff.js';
import { cleanup, gitCommitAll, gitInit, tempDir, writeTree } from './helpers.js';

/** git's own numstat of two files. */
function gitNumstat(dir: string, a: string, b: string): string {
  try {
    execFileSync('git', ['diff', '--no-index', '--numstat', '--', a, b], { cwd: dir, encoding: 'utf8' });
    return '+0 -0';
  } catch (err) {
    const out = String((err as { stdout?: string }).stdout ?? '');
    const m = /^(\d+|-)\t(\d+|-)\t/.exec(out);
    if (!m) throw err;
    return m[1] === '-' ? 'binary' : `+${m[1]} -${m[2]}`;
  }
}

const text = (c: ReturnType<typeof countLineChanges>): string => (c === null ? 'null' : c === 'binary' ? 'binary' : `+${c.added} -${c.deleted}`);

describe('context/line-diff', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => cleanup(dir));

  it('counts simple edits', () => {
    expect(countLineChanges(Buffer.from('a\nb\nc\n'), Buffer.from('a\nB\nc\n'))).to.deep.equal({ added: 1, deleted: 1 });
    expect(countLineChanges(Buffer.from('a\n'), Buffer.from('a\nb\n'))).to.deep.equal({ added: 1, deleted: 0 });
    expect(countLineChanges(Buffer.from('a\nb'), Buffer.from('a\nb\n'))).to.deep.equal({ added: 1, deleted: 1 });
    expect(countLineChanges(Buffer.from(''), Buffer.from('x\ny\n'))).to.deep.equal({ added: 2, deleted: 0 });
    expect(countLineChanges(Buffer.from('x\0y'), Buffer.from('x'))).to.equal('binary');
  });

  it('agrees with git diff --numstat on random edits (property)', async function () {
    this.timeout(60_000);
    const line = fc.constantFrom('alpha', 'beta', 'gamma', 'delta', '', '  indented', '}', 'return x;');
    const file = fc
      .array(line, { maxLength: 25 })
      .map((ls) => ls.join('\n'))
      .chain((body) => fc.boolean().map((eol) => (body && eol ? `${body}\n` : body)));
    const samples = fc.sample(fc.tuple(file, file), 40);
    let longerInGit = 0;
    for (const [i, [a, b]] of samples.entries()) {
      await fsp.writeFile(path.join(dir, `a${i}`), a);
      await fsp.writeFile(path.join(dir, `b${i}`), b);
      const ours = text(countLineChanges(Buffer.from(a), Buffer.from(b)));
      const theirs = gitNumstat(dir, `a${i}`, `b${i}`);
      if (ours === theirs) continue;
      // git's xdiff first drops isolated matches of lines that repeat (its noise filter), so on
      // rare inputs its script is longer than the shortest one, which is what we count: same
      // net change, fewer lines touched. Anything else is a bug here.
      const [oa, od] = ours.slice(1).split(' -').map(Number) as [number, number];
      const [ta, td] = theirs.slice(1).split(' -').map(Number) as [number, number];
      expect(oa - od, JSON.stringify([a, b])).to.equal(ta - td);
      expect(oa + od, JSON.stringify([a, b])).to.be.below(ta + td);
      longerInGit++;
    }
    expect(longerInGit, 'git and the shortest script differ only on rare inputs').to.be.at.most(samples.length / 4);
  });

  it("counts the shortest script where git's noise filter gives a longer one", () => {
    // One shared line ("beta") among lines that match nothing: git reports +9 -6, the shortest
    // script keeps "beta" and touches 13 lines.
    const a = 'beta\nbeta\nreturn x;\nbeta\nalpha\nbeta\n';
    const b = 'gamma\ndelta\nbeta\n\ndelta\n\n\ngamma\n  indented\n';
    expect(countLineChanges(Buffer.from(a), Buffer.from(b))).to.deep.equal({ added: 8, deleted: 5 });
  });

  it('gives up (null) past the edit-distance cap', () => {
    const a = Buffer.from(Array.from({ length: 100 }, (_, i) => `a${i}\n`).join(''));
    const b = Buffer.from(Array.from({ length: 100 }, (_, i) => `b${i}\n`).join(''));
    expect(countLineChanges(a, b, 50)).to.equal(null);
    expect(countLineChanges(a, b)).to.deep.equal({ added: 100, deleted: 100 });
  });

  it('worktree diff: modified, deleted, untracked, added and clean paths against HEAD via cat-file', async () => {
    const root = path.join(dir, 'repo');
    await writeTree(root, { 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'keep\n', 'c.txt': 'gone\n' });
    gitInit(root);
    gitCommitAll(root, 'initial');
    await writeTree(root, { 'a.txt': 'one\n2\nthree\nfour\n', 'new.txt': 'n1\nn2\n', 'staged.txt': 's\n' });
    await fsp.rm(path.join(root, 'c.txt'));
    const r = await worktreeDiff({
      toplevel: root,
      prefix: '',
      realRoot: root,
      paths: ['a.txt', 'b.txt', 'c.txt', 'new.txt', 'staged.txt', 'never.txt'],
      known: [['staged.txt', 'added']],
    });
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.unresolved).to.deep.equal([]);
    expect(r.clean).to.have.members(['b.txt', 'never.txt']);
    expect(Object.fromEntries(r.changes.map((c) => [c.path, `${c.status} ${c.diff}`]))).to.deep.equal({
      'a.txt': 'modified +2 -1',
      'c.txt': 'deleted +0 -1',
      'new.txt': 'untracked +2 -0',
      'staged.txt': 'added +1 -0',
    });
  });
});
