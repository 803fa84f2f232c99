import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseLog, parseNumstat, parseRemotes, parseStatusV2, type CommitInfo } from '../../git/git-parse.js';
import { runGit, type GitOutput, type GitWorkTree, type RunGit } from '../../git/run-git.js';
import { readContainedFileSync } from '../../files/safe-read.js';
import { worktreeDiff } from './worktree-diff.js';

/**
 * Collect git facts (status with +N -M, recent commits, remote). Runs in a worker thread:
 * spawning a child process is a synchronous fork/exec that took 50–70 ms of main-thread time
 * each on this machine, so the main thread never spawns git.
 */

export interface GitChange {
  path: string;
  status: string;
  staged: boolean;
  diff: string;
  oldPath?: string;
}

export interface GitFacts {
  /** HEAD + ref + index state read before git ran (the cache key of these facts). */
  key: string;
  branch: string | null;
  head: string | null;
  /** All changes for a full collection; only those under `paths` for a partial one. */
  changes: GitChange[];
  /** Empty for a partial collection. */
  commits: CommitInfo[];
  remote: { name: string; url: string } | null;
  /** The paths a partial collection covered; absent for a full one. */
  paths?: string[];
  /**
   * True when comparing worktree bytes with HEAD blobs gives git's own answer: no
   * .gitattributes anywhere (filters, eol, text attributes) and no autocrlf/eol conversion.
   */
  byteExact?: boolean;
}

export interface GitFactsTask {
  root: string;
  realRoot: string;
  tree: GitWorkTree;
  recentCommits: number;
  /** Untracked files whose lines are counted (the rest get an empty diff). */
  maxUntrackedCounted: number;
  /** Partial refresh: only these paths (status and numstat with a literal pathspec). */
  paths?: string[];
  /** List the files of a root commit (off for big trees: they are every file of the project). */
  showRootFiles?: boolean;
}

const EMPTY_TREE_SHA1 = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
/** Files listed per commit (an initial commit can touch 50k files). */
export const MAX_FILES_PER_COMMIT = 200;

/**
 * The state key: HEAD, the ref it points to, and the index's stat. Three small reads, no
 * spawn; both the main thread (per request) and workers (before collecting) compute it.
 */
export async function gitStateKey(tree: Pick<GitWorkTree, 'gitDir' | 'commonDir'>): Promise<string> {
  const read = (p: string): Promise<string> => fsp.readFile(p, 'utf8').catch(() => '');
  const stat = (p: string): Promise<string> =>
    fsp.stat(p).then(
      (s) => `${s.mtimeMs}:${s.size}:${s.ino}`,
      () => '-',
    );
  const headText = (await read(path.join(tree.gitDir, 'HEAD'))).trim();
  let ref = '';
  if (headText.startsWith('ref: ')) {
    const name = headText.slice(5);
    ref = (await read(path.join(tree.commonDir, name))).trim() || `packed:${await stat(path.join(tree.commonDir, 'packed-refs'))}`;
  }
  const index = await stat(path.join(tree.gitDir, 'index'));
  return `${headText}|${ref}|${index}`;
}

/** The `git status` invocation whose output the scan shares with the facts. */
export function statusArgs(paths?: readonly string[]): string[] {
  const spec = paths ? paths.map((p) => `:(literal)${p}`) : ['.'];
  return ['status', '--porcelain=v2', '-z', '--branch', '-uall', '--', ...spec];
}

/**
 * Collect the facts. `status` may be given when the caller already ran `statusArgs()` (the
 * scan does, for untracked and modified files).
 */
export interface CollectOptions {
  git?: RunGit;
  /** The `statusArgs()` run, when the caller already started it. */
  status?: Promise<GitOutput>;
  key?: string;
  /** Whether the work tree tracks any `.gitattributes`, when the caller read the index itself. */
  attributeFiles?: boolean;
}

export async function collectGitFacts(task: GitFactsTask, opts: CollectOptions = {}): Promise<GitFacts> {
  const git = opts.git ?? runGit;
  const key = opts.key ?? (await gitStateKey(task.tree));
  const partial = task.paths !== undefined;
  // In a big tree the root commit's "changes" are every file of the project: not a useful
  // signal, and listing them costs as much as the whole status. showRoot=false leaves it empty.
  const log =
    !partial && task.recentCommits > 0
      ? git(
          [
            '-c',
            `log.showRoot=${task.showRootFiles === false ? 'false' : 'true'}`,
            'log',
            `-n${task.recentCommits}`,
            '-z',
            '--name-only',
            '--relative',
            '--no-renames',
            '--format=%x1e%H%x1f%an%x1f%aI%x1f%s',
            '--',
            '.',
          ],
          task.root,
        )
      : Promise.resolve({ stdout: '', code: 0 });
  const remotes = !partial
    ? git(['config', '--get-regexp', '^(remote\\..*\\.url|core\\.autocrlf|core\\.eol)$'], task.root)
    : Promise.resolve({ stdout: '', code: 1 });
  const attributes = partial
    ? Promise.resolve({ stdout: '', code: 1 })
    : opts.attributeFiles !== undefined
      ? Promise.resolve({ stdout: opts.attributeFiles ? '.gitattributes' : '', code: 0 })
      : git(['ls-files', '-z', '--', ':(top,glob)**/.gitattributes'], task.root);
  // A partial refresh knows its paths: diff them while status runs (two spawns in parallel).
  const earlyCounts = task.paths ? numstat(git, task.root, task.paths) : null;
  const status = await (opts.status ?? git(statusArgs(task.paths), task.root));
  const parsed = parseStatusV2(status.code === 0 ? status.stdout : '', task.tree.prefix);
  // +N -M only for what status reports as changed (a clean tree needs no diff at all; a
  // whole-tree `git diff HEAD` would stat every file a second time).
  const changed: string[] = [];
  for (const [p, e] of parsed.entries) {
    if (e.status === 'untracked') continue;
    changed.push(p);
    if (e.oldPath) changed.push(e.oldPath); // both sides, or git cannot pair the rename
  }
  const covered = (p: string): boolean => task.paths?.includes(p) ?? false;
  const [logOut, remoteOut, attrOut, infoAttributes] = await Promise.all([
    log,
    remotes,
    attributes,
    fsp.stat(path.join(task.tree.gitDir, 'info', 'attributes')).then(
      () => true,
      () => false,
    ),
  ]);
  const conversions = /^core\.(autocrlf (true|input)|eol crlf)$/m.test(remoteOut.stdout);
  const byteExact = attrOut.code === 0 && attrOut.stdout === '' && !infoAttributes && !conversions;
  // Where worktree bytes are git's view, plain modifications and deletions are counted here
  // (HEAD blobs from one cat-file process, lines compared in-process): a whole-tree
  // `git diff --numstat HEAD` re-stats every file (~200 ms on 50k files) and can only start
  // once status has answered. Renames, type changes and whatever cannot be read go to git.
  const quick = new Map<string, string>();
  if (!partial && byteExact) {
    const simple = [...parsed.entries].filter(([, e]) => !e.oldPath && (e.status === 'modified' || e.status === 'deleted')).map(([p]) => p);
    if (simple.length > 0) {
      const r = await worktreeDiff({ toplevel: task.tree.toplevel, prefix: task.tree.prefix, realRoot: task.realRoot, paths: simple, known: [] });
      if (r.ok) {
        for (const c of r.changes) quick.set(c.path, c.diff);
        for (const p of r.clean) quick.set(p, '+0 -0');
      }
    }
  }
  const rest = quick.size === 0 ? changed : changed.filter((p) => !quick.has(p));
  let counts: Map<string, { added: number | null; deleted: number | null }>;
  if (earlyCounts && rest.every(covered)) counts = await earlyCounts;
  else {
    earlyCounts?.catch(() => undefined);
    counts =
      rest.length === 0 ? new Map<string, { added: number | null; deleted: number | null }>() : await numstat(git, task.root, rest.length > 200 ? null : rest);
  }
  const changes: GitChange[] = [];
  let untracked = 0;
  for (const [p, e] of parsed.entries) {
    let diff = quick.get(p) ?? diffText(counts.get(p));
    if (e.status === 'untracked') diff = untracked++ < task.maxUntrackedCounted ? countLines(task.realRoot, p) : '';
    changes.push({ path: p, status: e.status, staged: e.staged, diff, ...(e.oldPath ? { oldPath: e.oldPath } : {}) });
  }
  const commits = logOut.code === 0 ? parseLog(logOut.stdout) : [];
  for (const c of commits) {
    if (c.files_changed.length > MAX_FILES_PER_COMMIT) {
      (c as CommitInfo & { files_changed_total?: number }).files_changed_total = c.files_changed.length;
      c.files_changed = c.files_changed.slice(0, MAX_FILES_PER_COMMIT);
    }
  }
  return {
    key,
    branch: parsed.branch,
    head: parsed.head,
    changes,
    commits,
    remote: remoteOut.code === 0 ? parseRemotes(remoteOut.stdout) : null,
    ...(task.paths ? { paths: task.paths } : { byteExact }),
  };
}

async function numstat(git: RunGit, root: string, paths: string[] | null): Promise<Map<string, { added: number | null; deleted: number | null }>> {
  const spec = paths ? ['--', ...paths.map((p) => `:(literal)${p}`)] : [];
  let out = await git(['diff', '--numstat', '-z', '--relative', 'HEAD', ...spec], root);
  if (out.code !== 0) out = await git(['diff', '--numstat', '-z', '--relative', '--cached', EMPTY_TREE_SHA1, ...spec], root);
  return out.code === 0 ? parseNumstat(out.stdout) : new Map();
}

function diffText(c: { added: number | null; deleted: number | null } | undefined): string {
  if (!c) return '';
  if (c.added === null || c.deleted === null) return 'binary';
  return `+${c.added} -${c.deleted}`;
}

/** `+N -0` for an untracked file (its whole content is added). */
function countLines(realRoot: string, rel: string): string {
  const r = readContainedFileSync(realRoot, rel, 1024 * 1024);
  if (!r.ok) return r.reason === 'too_large' ? '+? -0' : '';
  if (r.data.subarray(0, 8000).includes(0)) return 'binary';
  let lines = 0;
  for (let i = r.data.indexOf(10); i >= 0; i = r.data.indexOf(10, i + 1)) lines++;
  if (r.data.length > 0 && r.data[r.data.length - 1] !== 10) lines++;
  return `+${lines} -0`;
}
