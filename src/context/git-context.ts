import { stripCredentials, type CommitInfo } from './git-parse.js';
import { gitStateKey, type GitChange, type GitFacts, type GitFactsTask } from './git-facts.js';
import type { GitWorkTree } from './run-git.js';
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
  /** Runs a facts collection off the main thread (the worker pool). */
  collect: (task: GitFactsTask) => Promise<GitFacts>;
  recentCommits: number;
  maxUncommitted: number;
  logger?: Logger;
  /** Called when the epoch changes (the service then drops contexts built on the old state). */
  onEpoch?: (epoch: number) => void;
  /** Whether a root commit lists its files (the service turns it off for big trees). */
  showRootFiles?: () => boolean;
}

const MAX_PATHSPEC = 100;

/**
 * Git facts for the context, cached per HEAD + index state: every request re-reads HEAD, the
 * ref it points to and the index's stat (three small fs calls, no spawn); git runs (in a
 * worker) only when that key changes. Worktree edits do not change the key, so the watcher
 * reports edited paths and only those are refreshed, with a pathspec (`notePathsChanged`).
 * When the watcher is not working, a TTL forces a full refresh.
 */
export class GitState {
  private readonly opts: GitStateOptions;
  private readonly logger: Logger;
  private tree: GitWorkTree | null = null;
  private key: string | null = null;
  private value: GitSnapshot | null = null;
  private full: Promise<void> | null = null;
  private partial: Promise<void> | null = null;
  private readonly dirty = new Set<string>();
  private changes = new Map<string, GitChange>();
  private commits: CommitInfo[] = [];
  private branch: string | null = null;
  private head: string | null = null;
  private remote: { name: string; url: string } | null = null;
  private epoch = 0;
  private refreshedAt = 0;
  private forceFull = false;

  constructor(opts: GitStateOptions) {
    this.opts = opts;
    this.logger = opts.logger ?? silentLogger;
  }

  /** The work tree found by the scan (null outside one). */
  setWorkTree(tree: GitWorkTree | null): void {
    this.tree = tree;
  }

  get workTree(): GitWorkTree | null {
    return this.tree;
  }

  /** Facts collected elsewhere (by the scan, which runs `git status` anyway). */
  seed(facts: GitFacts): void {
    this.apply(facts);
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
    const tree = this.tree;
    if (!tree) return null;
    const key = await gitStateKey(tree);
    const stale = this.forceFull || key !== this.key || (maxAgeMs !== undefined && Date.now() - this.refreshedAt > maxAgeMs);
    if (stale) {
      this.forceFull = false;
      await this.fullRefresh(tree);
    }
    if (this.dirty.size > 0 || this.partial) await this.partialRefresh(tree);
    return this.value;
  }

  private task(tree: GitWorkTree, paths?: string[]): GitFactsTask {
    return {
      root: this.opts.root,
      realRoot: this.opts.realRoot,
      tree,
      recentCommits: this.opts.recentCommits,
      maxUntrackedCounted: this.opts.maxUncommitted,
      showRootFiles: this.opts.showRootFiles?.() ?? true,
      ...(paths ? { paths } : {}),
    };
  }

  private fullRefresh(tree: GitWorkTree): Promise<void> {
    this.full ??= (async () => {
      // A full status covers every dirty path; edits after this point mark again.
      this.dirty.clear();
      this.apply(await this.opts.collect(this.task(tree)));
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
    if (paths.length > MAX_PATHSPEC) return this.fullRefresh(tree);
    this.partial = (async () => {
      this.apply(await this.opts.collect(this.task(tree, paths)));
    })().finally(() => {
      this.partial = null;
    });
    return this.partial;
  }

  private apply(facts: GitFacts): void {
    if (facts.paths) {
      for (const p of facts.paths) this.changes.delete(p);
      for (const c of facts.changes) this.changes.set(c.path, c);
    } else {
      this.changes = new Map(facts.changes.map((c) => [c.path, c]));
      this.commits = facts.commits;
      this.remote = facts.remote;
      this.branch = facts.branch;
      this.head = facts.head;
      const keyChanged = this.key !== null && this.key !== facts.key;
      this.key = facts.key;
      this.refreshedAt = Date.now();
      // Only HEAD/index changes start a new epoch: worktree changes found by a TTL refresh are
      // also found by the index rescan, which invalidates precisely.
      if (keyChanged) {
        this.epoch++;
        this.opts.onEpoch?.(this.epoch);
      }
    }
    this.publish();
  }

  private publish(): void {
    const entries = [...this.changes.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
    const listed = entries.slice(0, this.opts.maxUncommitted).map((e) => ({
      path: e.path,
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
      signals: { uncommitted: entries.map((e) => [e.path, e.status]), recentCommitFiles: [...recentFiles] },
      epoch: this.epoch,
    };
    this.logger.debug({ uncommitted: entries.length }, 'git context refreshed');
  }
}
