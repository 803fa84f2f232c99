import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseLog, parseNumstat, parseRemotes, parseStatusV2, stripCredentials, type CommitInfo, type StatusEntry } from './git-parse.js';
import { detectWorkTree, runGit, type GitWorkTree, type RunGit } from './run-git.js';
import { readContainedFile } from './safe-read.js';
import { silentLogger, type Logger } from './scan-pool.js';

/** `context.git_context` of the wire contract. */
export interface GitContext {
  branch: string | null;
  head: string | null;
  recent_commits: CommitInfo[];
  uncommitted_changes: Array<{ path: string; status: string; diff: string; old_path?: string }>;
  remote: string | null;
  remote_url: string | null;
}

/** What ranking needs from git. */
export interface GitSignals {
  uncommitted: Array<[string, string]>;
  recentCommitFiles: string[];
}

export interface GitSnapshot {
  context: GitContext;
  signals: GitSignals;
  /** Changes whenever HEAD or the index changed (commit, checkout, stage…). */
  epoch: number;
}

export interface GitStateOptions {
  root: string;
  realRoot: string;
  git?: RunGit;
  recentCommits: number;
  maxUncommitted: number;
  logger?: Logger;
  /** Called when the epoch changes (the service then drops contexts built on the old state). */
  onEpoch?: (epoch: number) => void;
}

const EMPTY_TREE_SHA1 = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const MAX_PATHSPEC = 100;

/**
 * Git facts for the context, computed with git itself (execFile, never a shell) and cached per
 * HEAD + index state: every request re-reads HEAD, the ref it points to and the index's stat
 * (three small fs calls, no spawn); git runs only when that key changes. Worktree edits do not
 * change the key, so the watcher reports edited paths and only those are refreshed, with a
 * pathspec (`notePathsChanged`). When the watcher is not working, a TTL forces a full refresh.
 */
export class GitState {
  private readonly opts: GitStateOptions;
  private readonly git: RunGit;
  private readonly logger: Logger;
  private tree: GitWorkTree | null | undefined;
  private key: string | null = null;
  private value: GitSnapshot | null = null;
  private full: Promise<void> | null = null;
  private partial: Promise<void> | null = null;
  private readonly dirty = new Set<string>();
  private statusMap = new Map<string, StatusEntry & { diff: string }>();
  private commits: CommitInfo[] = [];
  private branch: string | null = null;
  private head: string | null = null;
  private remote: { name: string; url: string } | null = null;
  private epoch = 0;
  private refreshedAt = 0;
  private forceFull = false;

  constructor(opts: GitStateOptions) {
    this.opts = opts;
    this.git = opts.git ?? runGit;
    this.logger = opts.logger ?? silentLogger;
  }

  /** null outside a git work tree. Detects once. */
  async workTree(): Promise<GitWorkTree | null> {
    if (this.tree === undefined) this.tree = await detectWorkTree(this.opts.root, this.git);
    return this.tree;
  }

  /** Drop everything cached (DELETE /api/cache/all). */
  reset(): void {
    this.forceFull = true;
  }

  /** Paths the watcher saw change: their status and diff are refreshed before the next answer. */
  notePathsChanged(paths: readonly string[]): void {
    if (!this.value) return;
    for (const p of paths) this.dirty.add(p);
  }

  /**
   * Current git facts, or null outside a work tree. `maxAgeMs`: when given (watcher not
   * working), a full refresh runs if the last one is older.
   */
  async get(maxAgeMs?: number): Promise<GitSnapshot | null> {
    const tree = await this.workTree();
    if (!tree) return null;
    const key = await this.stateKey(tree);
    const stale = this.forceFull || key !== this.key || (maxAgeMs !== undefined && Date.now() - this.refreshedAt > maxAgeMs);
    if (stale) {
      this.forceFull = false;
      await this.fullRefresh(tree, key);
    }
    if (this.dirty.size > 0 || this.partial) await this.partialRefresh(tree);
    return this.value;
  }

  private async stateKey(tree: GitWorkTree): Promise<string> {
    const read = (p: string): Promise<string> => fsp.readFile(p, 'utf8').catch(() => '');
    const stat = (p: string): Promise<string> => fsp.stat(p).then((s) => `${s.mtimeMs}:${s.size}:${s.ino}`, () => '-');
    const headText = (await read(path.join(tree.gitDir, 'HEAD'))).trim();
    let ref = '';
    if (headText.startsWith('ref: ')) {
      const name = headText.slice(5);
      ref = (await read(path.join(tree.commonDir, name))).trim() || `packed:${await stat(path.join(tree.commonDir, 'packed-refs'))}`;
    }
    const index = await stat(path.join(tree.gitDir, 'index'));
    return `${headText}|${ref}|${index}`;
  }

  private async fullRefresh(tree: GitWorkTree, key: string): Promise<void> {
    if (this.full) return this.full;
    this.full = (async () => {
      const n = this.opts.recentCommits;
      // Clear dirty paths first: a full status covers them, and edits after this point mark again.
      this.dirty.clear();
      const [status, numstat, log, remotes] = await Promise.all([
        this.git(['status', '--porcelain=v2', '-z', '--branch', '-uall', '--', '.'], this.opts.root),
        this.git(['diff', '--numstat', '-z', '--relative', 'HEAD'], this.opts.root).then(async (o) =>
          o.code === 0 ? o : this.git(['diff', '--numstat', '-z', '--relative', '--cached', EMPTY_TREE_SHA1], this.opts.root)),
        n > 0
          ? this.git(['log', `-n${n}`, '-z', '--name-only', '--relative', '--no-renames', '--format=%x1e%H%x1f%an%x1f%aI%x1f%s', '--', '.'], this.opts.root)
          : Promise.resolve({ stdout: '', code: 0 }),
        this.git(['config', '--get-regexp', '^remote\\..*\\.url$'], this.opts.root),
      ]);
      const parsed = parseStatusV2(status.code === 0 ? status.stdout : '', tree.prefix);
      const counts = numstat.code === 0 ? parseNumstat(numstat.stdout) : new Map();
      const map = new Map<string, StatusEntry & { diff: string }>();
      for (const [p, e] of parsed.entries) map.set(p, { ...e, diff: diffText(counts.get(p)) });
      await this.countUntracked(map);
      this.statusMap = map;
      this.branch = parsed.branch;
      this.head = parsed.head;
      this.commits = log.code === 0 ? parseLog(log.stdout) : [];
      this.remote = remotes.code === 0 ? parseRemotes(remotes.stdout) : null;
      const keyChanged = this.key !== null && this.key !== key;
      this.key = key;
      this.refreshedAt = Date.now();
      this.publish();
      // Only HEAD/index changes start a new epoch: worktree changes found by a TTL refresh are
      // also found by the index rescan, which invalidates precisely.
      if (keyChanged) {
        this.epoch++;
        this.value = { ...this.value!, epoch: this.epoch };
        this.opts.onEpoch?.(this.epoch);
      }
    })().finally(() => {
      this.full = null;
    });
    return this.full;
  }

  private async partialRefresh(tree: GitWorkTree): Promise<void> {
    while (this.partial) await this.partial;
    if (this.dirty.size === 0) return;
    const paths = [...this.dirty];
    this.dirty.clear();
    if (paths.length > MAX_PATHSPEC) {
      this.forceFull = true;
      const key = await this.stateKey(tree);
      this.forceFull = false;
      return this.fullRefresh(tree, key);
    }
    this.partial = (async () => {
      const spec = paths.map((p) => `:(literal)${p}`);
      const [status, numstat] = await Promise.all([
        this.git(['status', '--porcelain=v2', '-z', '-uall', '--', ...spec], this.opts.root),
        this.git(['diff', '--numstat', '-z', '--relative', this.head ? 'HEAD' : EMPTY_TREE_SHA1, '--', ...spec], this.opts.root),
      ]);
      if (status.code !== 0) return;
      const parsed = parseStatusV2(status.stdout, tree.prefix);
      const counts = numstat.code === 0 ? parseNumstat(numstat.stdout) : new Map();
      const fresh = new Map<string, StatusEntry & { diff: string }>();
      for (const [p, e] of parsed.entries) fresh.set(p, { ...e, diff: diffText(counts.get(p)) });
      await this.countUntracked(fresh);
      for (const p of paths) this.statusMap.delete(p);
      for (const [p, e] of fresh) this.statusMap.set(p, e);
      this.publish();
    })().finally(() => {
      this.partial = null;
    });
    return this.partial;
  }

  private async countUntracked(map: Map<string, StatusEntry & { diff: string }>): Promise<void> {
    let budget = this.opts.maxUncommitted;
    const jobs: Array<Promise<void>> = [];
    for (const [p, e] of map) {
      if (e.status !== 'untracked') continue;
      if (budget-- <= 0) break;
      jobs.push(readContainedFile(this.opts.realRoot, p, 1024 * 1024).then((r) => {
        if (!r.ok) e.diff = r.reason === 'too_large' ? '+? -0' : '';
        else if (r.data.subarray(0, 8000).includes(0)) e.diff = 'binary';
        else {
          let lines = 0;
          for (let i = r.data.indexOf(10); i >= 0; i = r.data.indexOf(10, i + 1)) lines++;
          if (r.data.length > 0 && r.data[r.data.length - 1] !== 10) lines++;
          e.diff = `+${lines} -0`;
        }
      }));
    }
    await Promise.all(jobs);
  }

  private publish(): void {
    const entries = [...this.statusMap].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const listed = entries.slice(0, this.opts.maxUncommitted).map(([p, e]) => ({
      path: p,
      status: e.status,
      diff: e.diff,
      ...(e.oldPath ? { old_path: e.oldPath } : {}),
    }));
    const recentFiles = new Set<string>();
    for (const c of this.commits) for (const f of c.files_changed) recentFiles.add(f);
    this.value = {
      context: {
        branch: this.branch,
        head: this.head,
        recent_commits: this.commits,
        uncommitted_changes: listed,
        remote: this.remote?.name ?? null,
        remote_url: this.remote ? stripCredentials(this.remote.url) : null,
      },
      signals: { uncommitted: entries.map(([p, e]) => [p, e.status]), recentCommitFiles: [...recentFiles] },
      epoch: this.epoch,
    };
    this.logger.debug({ uncommitted: entries.length }, 'git context refreshed');
  }
}

function diffText(c: { added: number | null; deleted: number | null } | undefined): string {
  if (!c) return '';
  if (c.added === null || c.deleted === null) return 'binary';
  return `+${c.added} -${c.deleted}`;
}
