import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { closeCatFiles, worktreeDiff } from '../../src/context/worker/git/worktree-diff.js';
import { cleanup, gitCommitAll, gitInit, tempDir, writeTree } from './helpers.js';

const MODULE = new URL('../../src/context/worker/git/worktree-diff.js', import.meta.url).href;

/** Run `code` (an ES module body) in a fresh node process; resolves with its exit and how long it took. */
function runNode(code: string, timeoutMs: number): Promise<{ code: number | null; signal: string | null; stdout: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', code], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, ms: Date.now() - started });
    });
  });
}

describe('context/worktree-diff: the git cat-file helper', () => {
  let dir: string;
  let root: string;
  before(async () => {
    dir = await tempDir();
    root = path.join(dir, 'repo');
    await writeTree(root, { 'a.txt': 'one\n' });
    gitInit(root);
    gitCommitAll(root, 'initial');
    await writeTree(root, { 'a.txt': 'one\ntwo\n' });
  });
  after(async () => {
    closeCatFiles();
    await cleanup(dir);
  });

  it('does not keep the process alive once its answer is in (no handle leak)', async () => {
    const task = { toplevel: root, prefix: '', realRoot: root, paths: ['a.txt'], known: [] };
    const res = await runNode(
      `const { worktreeDiff } = await import(${JSON.stringify(MODULE)});
       const r = await worktreeDiff(${JSON.stringify(task)});
       console.log(JSON.stringify(r.changes));`,
      10_000,
    );
    expect(res.signal, 'killed at the timeout: something kept the process alive').to.equal(null);
    expect(res.code).to.equal(0);
    expect(JSON.parse(res.stdout)).to.deep.equal([{ path: 'a.txt', status: 'modified', staged: false, diff: '+1 -0' }]);
    expect(res.ms).to.be.below(5_000);
  });

  it('answers again after closeCatFiles ended its process', async () => {
    const task = { toplevel: root, prefix: '', realRoot: root, paths: ['a.txt'], known: [] as Array<[string, 'added']> };
    expect((await worktreeDiff(task)).ok).to.equal(true);
    closeCatFiles();
    const again = await worktreeDiff(task);
    expect(again.ok && again.changes.map((c) => c.diff)).to.deep.equal(['+1 -0']);
  });
});
