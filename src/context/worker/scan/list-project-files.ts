import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IgnoreFile } from '../../files/gitignore-rules.js';
import { PathRules } from '../../files/path-rules.js';
import { carriesTokenSync, mayCarryToken } from '../../files/token-files.js';
import { collectGitFacts, gitStateKey, statusArgs, type GitFacts } from '../git/git-facts.js';
import { parseStatusV2 } from '../../git/git-parse.js';
import { detectWorkTree, runGit, type GitOutput, type GitWorkTree, type RunGit } from '../../git/run-git.js';
import type { SnapshotEntry } from '../../index/snapshot-codec.js';
import { ancestorDirs } from '../../files/ancestor-dirs.js';
import { readGitIndexFile, type IndexedFile } from './git-index-file.js';

export type { IndexedFile } from './git-index-file.js';

const REGULAR_FILE = 0o100644;
const EXECUTABLE_FILE = 0o100755;

/**
 * List and stat the files of a project (runs inside a worker thread: everything here is
 * synchronous or child-process work that must never run on the main thread).
 *
 * Inside a git work tree, git decides what is ignored (`git ls-files -co --exclude-standard`):
 * it is several times faster than any walker and gets every `.gitignore` level, `info/exclude`
 * and the global excludes file exactly right. Outside one, fast-glob walks the tree with a file
 * system adapter whose `readdirSync` applies the `.gitignore` of each directory as it is entered,
 * so ignored directories are pruned, not walked and filtered (fast-glob has no prune callback).
 * Both paths then apply the sidecar's own rules (default excludes, secrets, storage dir) and
 * lstat every file: only regular files are kept (no symlinks, FIFOs, sockets or devices), and
 * directory symlinks are never followed.
 */

export interface ListedProject {
  mode: 'git' | 'walk';
  entries: SnapshotEntry[];
  directories: string[];
  ignoreFiles: IgnoreFile[];
  /** The git work tree, or null in walk mode. */
  tree: GitWorkTree | null;
  /** Git mode: the raw `git status` run for the listing (shared with the git facts). */
  status?: Promise<GitOutput>;
  /** Git mode with `facts`: the git facts, collected alongside from the same status run. */
  gitFacts?: Promise<GitFacts>;
  listMs: number;
  statMs: number;
}

export interface ListOptions {
  root: string;
  rules: PathRules;
  useGit: boolean;
  git?: RunGit;
  /** Also collect the git facts (status, +N -M, commits, remote) from the same status run. */
  facts?: { realRoot: string; recentCommits: number; maxUntrackedCounted: number };
  /**
   * Git mode: called with the files the index file lists (rules applied, sorted) while git
   * status still runs, for per-file work that can overlap it. The final entries differ only
   * by what status reports.
   */
  whileGitRuns?: (provisional: readonly SnapshotEntry[]) => void;
}

/**
 * Parse `git ls-files -c -s --debug -z`: `<mode> <sha> <stage>\t<path>\0` followed by indented
 * `ctime:`, `mtime:`, `dev:`/`ino:`, `uid:`/`gid:`, `size:`/`flags:` lines.
 */
export function parseLsFilesDebug(out: string): IndexedFile[] {
  const files: IndexedFile[] = [];
  let pos = 0;
  const n = out.length;
  while (pos < n) {
    const nul = out.indexOf('\0', pos);
    if (nul < 0) break;
    const header = out.slice(pos, nul);
    const tab = header.indexOf('\t');
    const meta = header.slice(0, tab).split(' ');
    const file: IndexedFile = {
      path: header.slice(tab + 1),
      mode: parseInt(meta[0] ?? '0', 8),
      stage: Number(meta[2] ?? 0),
      size: 0,
      mtimeMs: 0,
      skipWorktree: false,
    };
    pos = nul + 1;
    // Debug lines start with two spaces; the next entry starts with its mode digits.
    while (pos < n && out.charCodeAt(pos) === 32) {
      const eol = out.indexOf('\n', pos);
      const line = out.slice(pos, eol < 0 ? n : eol);
      pos = eol < 0 ? n : eol + 1;
      const t = line.trimStart();
      if (t.startsWith('mtime: ')) {
        const [sec, nsec] = t.slice(7).split(':');
        // Same formula as Node's Stats#mtimeMs, so both sides compare equal.
        file.mtimeMs = Number(sec) * 1e3 + Number(nsec) / 1e6;
      } else if (t.startsWith('size: ')) {
        file.size = Number(t.slice(6, t.indexOf('\t') < 0 ? undefined : t.indexOf('\t')));
      }
    }
    if (tab >= 0) files.push(file);
  }
  return files;
}

export async function listProjectFiles(opts: ListOptions): Promise<ListedProject> {
  const t0 = performance.now();
  const git = opts.git ?? runGit;
  if (!opts.useGit) return await walkProject(opts, t0);
  // The common layout (root = top level, `.git` a directory) is checked with one lstat, so
  // git status starts at once instead of after `git rev-parse`; rev-parse runs alongside and
  // decides (a guess that turns out wrong only costs a second start).
  const guessDir = path.join(opts.root, '.git');
  const guessed = fs.lstatSync(guessDir, { throwIfNoEntry: false })?.isDirectory() ? guessDir : null;
  const treeP = detectWorkTree(opts.root, git);
  let run: GitListing | null = null;
  let tree: GitWorkTree | null;
  if (guessed) {
    const guess = { toplevel: opts.root, gitDir: guessed, commonDir: guessed, prefix: '' };
    run = await startGitListing(opts, git, guess);
    tree = await treeP;
    if (!tree || tree.gitDir !== guessed || tree.prefix !== '') {
      run.abandon();
      run = null;
    }
  } else {
    tree = await treeP;
  }
  if (!tree) return await walkProject(opts, t0);
  run ??= await startGitListing(opts, git, tree);
  const { indexed, statusP, gitFacts, ignoreFilesP } = run;
  const rootSlash = opts.root.endsWith('/') ? opts.root : opts.root + '/';
  // While git status walks the tree, everything the index file alone decides is done now
  // (rules, secrets, and the caller's own per-file work), so little is left once it answers.
  const base: SnapshotEntry[] = [];
  const mustStat = new Set<string>();
  for (const f of indexed) {
    // Symlinks (120000) and submodules (160000) are not files we read.
    if (f.mode !== REGULAR_FILE && f.mode !== EXECUTABLE_FILE) continue;
    if (opts.rules.isExcludedFile(f.path)) continue;
    // Conflicts, intent-to-add and sparse entries carry no usable stat data.
    if (f.stage !== 0 || f.mtimeMs === 0 || f.skipWorktree) mustStat.add(f.path);
    // The parsed entry is a SnapshotEntry already: 50k copies would only feed the collector.
    else if (!(mayCarryToken(f.path) && carriesTokenSync(rootSlash + f.path, f.size))) base.push(f);
  }
  sortEntries(base);
  opts.whileGitRuns?.(base);
  const status = await statusP;
  const parsedStatus = parseStatusV2(status.code === 0 ? status.stdout : '', tree.prefix);
  const t1 = performance.now();
  // What status reports is stat'ed (changed, untracked, staged); a deletion only in the work
  // tree leaves the index. A clean tree keeps the base as it is.
  const gone = new Set<string>();
  for (const [p, e] of parsedStatus.entries) {
    if (e.status === 'deleted' && !e.staged) gone.add(p);
    else mustStat.add(p);
  }
  let entries = base;
  if (mustStat.size > 0 || gone.size > 0) {
    entries = base.filter((e) => !mustStat.has(e.path) && !gone.has(e.path));
    for (const rel of mustStat) {
      if (gone.has(rel) || opts.rules.isExcludedFile(rel)) continue;
      const st = fs.lstatSync(rootSlash + rel, { throwIfNoEntry: false });
      // Regular files only: a tracked file replaced by a symlink or FIFO leaves the index.
      if (!st || !st.isFile()) continue;
      if (mayCarryToken(rel) && carriesTokenSync(rootSlash + rel, st.size)) continue;
      entries.push({ path: rel, size: st.size, mtimeMs: st.mtimeMs });
    }
    sortEntries(entries);
  }
  const t2 = performance.now();
  const ignoreFiles = await ignoreFilesP;
  for (const e of entries) {
    if (e.path === '.gitignore' || e.path.endsWith('/.gitignore')) {
      const text = readSmall(path.join(opts.root, e.path));
      if (text !== null) ignoreFiles.push({ dir: e.path === '.gitignore' ? '' : e.path.slice(0, -'/.gitignore'.length), content: text });
    }
  }
  return {
    mode: 'git',
    entries,
    directories: ancestorDirs(
      entries.map((e) => e.path),
      { root: true },
    ),
    ignoreFiles,
    tree,
    status: statusP,
    ...(gitFacts ? { gitFacts } : {}),
    listMs: t1 - t0,
    statMs: t2 - t1,
  };
}

interface GitListing {
  /** Tracked files with the index's stat data, relative to the root. */
  indexed: IndexedFile[];
  statusP: Promise<GitOutput>;
  gitFacts?: Promise<GitFacts>;
  ignoreFilesP: Promise<IgnoreFile[]>;
  /** The guess was wrong: drop every pending result without an unhandled rejection. */
  abandon(): void;
}

/**
 * Start everything the listing needs from git at once, slowest first: `git status` (it walks
 * and stats the whole tree) is spawned before the index is parsed, and the git facts' other
 * commands (log, remotes) run while status still works, so the scan waits for one status and
 * not for a chain of commands.
 */
async function startGitListing(opts: ListOptions, git: RunGit, tree: GitWorkTree): Promise<GitListing> {
  const gitKey = await gitStateKey(tree);
  const statusP = git(statusArgs(), opts.root);
  const ignoreFilesP = gitIgnoreFiles(opts.root, tree.gitDir, tree.prefix, git);
  // The index file itself (~20 ms for 50k entries) instead of `git ls-files --debug`, whose
  // ~10 MB of text took a few hundred ms to read and parse; git answers what it cannot read.
  const fromFile = process.env.GIT_INDEX_FILE ? null : readGitIndexFile(path.join(tree.gitDir, 'index'));
  let indexed: IndexedFile[];
  let attributeFiles: boolean | undefined;
  if (fromFile) {
    indexed = underPrefix(fromFile, tree.prefix);
    // Facts need to know whether any .gitattributes exists in the whole work tree.
    attributeFiles = fromFile.some((f) => f.path === '.gitattributes' || f.path.endsWith('/.gitattributes'));
  } else {
    const out = await git(['ls-files', '-c', '-s', '--debug', '-z'], opts.root);
    if (out.code !== 0) {
      statusP.catch(() => undefined);
      ignoreFilesP.catch(() => undefined);
      throw new Error(`git ls-files exited with ${out.code}`);
    }
    indexed = parseLsFilesDebug(out.stdout);
  }
  const gitFacts = opts.facts
    ? collectGitFacts(
        {
          root: opts.root,
          realRoot: opts.facts.realRoot,
          tree,
          recentCommits: opts.facts.recentCommits,
          maxUntrackedCounted: opts.facts.maxUntrackedCounted,
          showRootFiles: indexed.length <= 5000,
        },
        { git, status: statusP, key: gitKey, ...(attributeFiles !== undefined ? { attributeFiles } : {}) },
      )
    : undefined;
  // Observed here so an early failure elsewhere never leaves it unhandled.
  gitFacts?.catch(() => undefined);
  return {
    indexed,
    statusP,
    ignoreFilesP,
    ...(gitFacts ? { gitFacts } : {}),
    abandon: () => {
      statusP.catch(() => undefined);
      ignoreFilesP.catch(() => undefined);
    },
  };
}

/** Index paths are relative to the top level: keep those under the root, relative to it. */
function underPrefix(files: IndexedFile[], prefix: string): IndexedFile[] {
  if (!prefix) return files;
  const out: IndexedFile[] = [];
  for (const f of files) if (f.path.startsWith(prefix)) out.push({ ...f, path: f.path.slice(prefix.length) });
  return out;
}

/** Outside git: walk, filter, lstat. */
async function walkProject(opts: ListOptions, t0: number): Promise<ListedProject> {
  // Loaded on demand: fast-glob and the gitignore matcher are not needed inside a work tree,
  // and every module a worker loads delays its first task.
  const { walkWithGitignore } = await import('./walk-with-gitignore.js');
  const walked = walkWithGitignore(opts.root, opts.rules);
  const t1 = performance.now();
  const entries: SnapshotEntry[] = [];
  const rootSlash = opts.root.endsWith('/') ? opts.root : opts.root + '/';
  for (const rel of walked.files) {
    const st = fs.lstatSync(rootSlash + rel, { throwIfNoEntry: false });
    // Regular files only: symlinks (to files or dirs, in or out of the root), FIFOs, sockets
    // and devices never enter the index. ENOENT (deleted since the listing) is normal.
    if (!st || !st.isFile()) continue;
    // `.npmrc`, `.pypirc`…: secrets only when they carry tokens, so read them (they are small).
    if (mayCarryToken(rel) && carriesTokenSync(rootSlash + rel, st.size)) continue;
    entries.push({ path: rel, size: st.size, mtimeMs: st.mtimeMs });
  }
  sortEntries(entries);
  return { mode: 'walk', entries, directories: walked.dirs, ignoreFiles: walked.ignoreFiles, tree: null, listMs: t1 - t0, statMs: performance.now() - t1 };
}

function sortEntries(entries: SnapshotEntry[]): void {
  for (let i = 1; i < entries.length; i++) {
    if (!(entries[i - 1]!.path < entries[i]!.path)) {
      entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      return;
    }
  }
}

function readSmall(abs: string): string | null {
  try {
    const st = fs.lstatSync(abs, { throwIfNoEntry: false });
    if (!st || !st.isFile() || st.size > 1024 * 1024) return null;
    return fs.readFileSync(abs, 'utf8');
  } catch {
    return null;
  }
}

async function gitIgnoreFiles(root: string, gitDir: string, prefix: string, git: RunGit): Promise<IgnoreFile[]> {
  const out: IgnoreFile[] = [];
  // Global excludes and info/exclude apply from the top level; ancestors' .gitignore files too
  // when the root is a subdirectory of the work tree. Rebase them onto the root.
  const globalPath = await git(['config', '--path', '--get', 'core.excludesFile'], root).then(
    (o) => o.stdout.trim(),
    () => '',
  );
  const globalFile = globalPath || path.join(os.homedir(), '.config', 'git', 'ignore');
  for (const abs of [globalFile, path.join(gitDir, 'info', 'exclude')]) {
    const text = readSmall(abs);
    if (text) out.push({ dir: '', content: rebaseIgnore(text, prefix) });
  }
  if (prefix) {
    const parts = prefix.replace(/\/$/, '').split('/');
    let top = root;
    for (let i = 0; i < parts.length; i++) top = path.dirname(top);
    for (let depth = 0; depth < parts.length; depth++) {
      const dirAbs = path.join(top, ...parts.slice(0, depth));
      const text = readSmall(path.join(dirAbs, '.gitignore'));
      if (text) out.push({ dir: '', content: rebaseIgnore(text, parts.slice(depth).join('/') + '/') });
    }
  }
  return out;
}

/**
 * Re-anchor the patterns of an ignore file that lives `prefix` above the root: unanchored
 * patterns apply at every depth and are kept; anchored ones are kept only when they point
 * inside the root, with the prefix removed.
 */
export function rebaseIgnore(text: string, prefix: string): string {
  if (!prefix) return text;
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (!line || line.startsWith('#')) continue;
    const neg = line.startsWith('!');
    const body = neg ? line.slice(1) : line;
    const noTrail = body.replace(/\/$/, '');
    const anchored = noTrail.includes('/');
    if (!anchored || body.startsWith('**/')) {
      out.push(line);
      continue;
    }
    const rel = body.replace(/^\//, '');
    if (rel.startsWith(prefix)) out.push(`${neg ? '!' : ''}/${rel.slice(prefix.length)}`);
  }
  return out.join('\n');
}
