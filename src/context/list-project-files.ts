import fs, { type Dirent } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fg from 'fast-glob';
import { GitignoreRules, type IgnoreFile } from './gitignore-rules.js';
import { CONDITIONAL_SECRET_CONTENT_RE, CONDITIONAL_SECRET_RE, PathRules } from './path-rules.js';
import { detectWorkTree, runGit, type RunGit } from './run-git.js';
import type { SnapshotEntry } from './snapshot-codec.js';

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
  listMs: number;
  statMs: number;
}

export interface ListOptions {
  root: string;
  rules: PathRules;
  useGit: boolean;
  git?: RunGit;
}

export async function listProjectFiles(opts: ListOptions): Promise<ListedProject> {
  const t0 = performance.now();
  const tree = opts.useGit ? await detectWorkTree(opts.root, opts.git) : null;
  let candidates: string[];
  let ignoreFiles: IgnoreFile[];
  let walkedDirs: string[] | null = null;
  let mode: 'git' | 'walk';
  if (tree) {
    mode = 'git';
    const out = await (opts.git ?? runGit)(['ls-files', '-co', '--exclude-standard', '-z'], opts.root);
    if (out.code !== 0) throw new Error(`git ls-files exited with ${out.code}`);
    candidates = out.stdout.split('\0').filter((p) => p.length > 0 && !opts.rules.isExcludedFile(p));
    ignoreFiles = await gitIgnoreFiles(opts.root, candidates, tree.gitDir, tree.prefix, opts.git ?? runGit);
  } else {
    mode = 'walk';
    const walked = walkWithGitignore(opts.root, opts.rules);
    candidates = walked.files;
    ignoreFiles = walked.ignoreFiles;
    walkedDirs = walked.dirs;
  }
  const t1 = performance.now();
  const entries: SnapshotEntry[] = [];
  const rootSlash = opts.root.endsWith('/') ? opts.root : opts.root + '/';
  for (const rel of candidates) {
    const st = fs.lstatSync(rootSlash + rel, { throwIfNoEntry: false });
    // Regular files only: symlinks (to files or dirs, in or out of the root), FIFOs, sockets
    // and devices never enter the index. ENOENT (deleted but still in git's index) is normal.
    if (!st || !st.isFile()) continue;
    // `.npmrc`, `.pypirc`…: secrets only when they carry tokens, so read them (they are small).
    if (CONDITIONAL_SECRET_RE.test(rel) && carriesToken(rootSlash + rel, st.size)) continue;
    entries.push({ path: rel, size: st.size, mtimeMs: st.mtimeMs });
  }
  let sorted = true;
  for (let i = 1; i < entries.length; i++) {
    if (!(entries[i - 1]!.path < entries[i]!.path)) {
      sorted = false;
      break;
    }
  }
  if (!sorted) {
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    // git lists unmerged paths once per stage: keep one.
    let w = 0;
    for (let r = 0; r < entries.length; r++) if (w === 0 || entries[w - 1]!.path !== entries[r]!.path) entries[w++] = entries[r]!;
    entries.length = w;
  }
  const t2 = performance.now();
  const directories = walkedDirs ?? ancestorDirs(entries.map((e) => e.path));
  return { mode, entries, directories, ignoreFiles, listMs: t1 - t0, statMs: t2 - t1 };
}

function carriesToken(abs: string, size: number): boolean {
  if (size > 256 * 1024) return true; // an oversized credentials file is not worth the risk
  try {
    const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      if (!fs.fstatSync(fd).isFile()) return true;
      const buf = Buffer.alloc(size);
      fs.readSync(fd, buf, 0, size, 0);
      return CONDITIONAL_SECRET_CONTENT_RE.test(buf.toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return true;
  }
}

/** '' plus every directory that holds a listed file, sorted. */
export function ancestorDirs(paths: readonly string[]): string[] {
  const dirs = new Set<string>(['']);
  for (const p of paths) {
    let slash = p.lastIndexOf('/');
    while (slash > 0) {
      const d = p.slice(0, slash);
      if (dirs.has(d)) break;
      dirs.add(d);
      slash = d.lastIndexOf('/');
    }
  }
  return [...dirs].sort();
}

async function gitIgnoreFiles(root: string, listed: string[], gitDir: string, prefix: string, git: RunGit): Promise<IgnoreFile[]> {
  const out: IgnoreFile[] = [];
  const readSmall = (abs: string): string | null => {
    try {
      const st = fs.lstatSync(abs, { throwIfNoEntry: false });
      if (!st || !st.isFile() || st.size > 1024 * 1024) return null;
      return fs.readFileSync(abs, 'utf8');
    } catch {
      return null;
    }
  };
  // Global excludes and info/exclude apply from the top level; ancestors' .gitignore files too
  // when the root is a subdirectory of the work tree. Rebase them onto the root.
  const globalPath = await git(['config', '--path', '--get', 'core.excludesFile'], root).then((o) => o.stdout.trim(), () => '');
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
  for (const rel of listed) {
    if (rel === '.gitignore' || rel.endsWith('/.gitignore')) {
      const text = readSmall(path.join(root, rel));
      if (text !== null) out.push({ dir: rel === '.gitignore' ? '' : rel.slice(0, -'/.gitignore'.length), content: text });
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

/** Walk outside git: fast-glob with a pruning, gitignore-aware readdir. */
export function walkWithGitignore(root: string, rules: PathRules): { files: string[]; dirs: string[]; ignoreFiles: IgnoreFile[] } {
  const gitignore = new GitignoreRules();
  const ignoreFiles: IgnoreFile[] = [];
  const dirs: string[] = [];
  const rootAbs = path.resolve(root);
  const relOf = (abs: string): string => {
    const r = path.relative(rootAbs, path.resolve(rootAbs, abs));
    return r === '' ? '' : r.split(path.sep).join('/');
  };
  const readdirSync = ((dir: fs.PathLike, options?: unknown) => {
    const entries = fs.readdirSync(dir, options as { withFileTypes: true }) as unknown as Dirent[] | string[];
    const relDir = relOf(String(dir));
    dirs.push(relDir);
    if (entries.length === 0 || typeof entries[0] === 'string') return entries;
    const dirents = entries as Dirent[];
    const gi = dirents.find((e) => e.name === '.gitignore' && e.isFile());
    if (gi && !gitignore.has(relDir)) {
      try {
        const abs = path.join(rootAbs, relDir, '.gitignore');
        const st = fs.lstatSync(abs);
        if (st.isFile() && st.size <= 1024 * 1024) {
          const content = fs.readFileSync(abs, 'utf8');
          gitignore.add(relDir, content);
          ignoreFiles.push({ dir: relDir, content });
        }
      } catch {
        // vanished or unreadable: no rules from it
      }
    }
    return dirents.filter((e) => {
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      if (e.isDirectory()) return !rules.isExcludedDir(rel) && !gitignore.ignores(rel, true);
      if (e.isFile()) return !rules.isExcludedFile(rel) && !gitignore.ignores(rel, false);
      return false; // symlinks, FIFOs, sockets, devices: never listed, never followed
    });
  }) as typeof fs.readdirSync;
  const files = fg.sync('**', {
    cwd: rootAbs,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    suppressErrors: true,
    unique: false,
    fs: { ...fs, readdirSync },
  });
  return { files, dirs: [...new Set(dirs)].sort(), ignoreFiles };
}
