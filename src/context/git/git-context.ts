import { stripCredentials, type CommitInfo } from './git-parse.js';
import { gitStateKey, type GitChange, type GitFacts, type GitFactsTask } from '../worker/git/git-facts.js';
import type { WorktreeDiffTask } from '../worker/git/worktree-diff.js';
import type { GitWorkTree } from './run-git.js';
import { silentLogger, type ComponentLogger as Logger } from '../../logging/component-logger.js';

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
  /** In-process status/diff of edited paths (off the main thread); used when byte-exact. */
  quickDiff?: (task: WorktreeDiffTask) => Promise<{ changes: GitChange[]; clean: string[]; unresolved: string[] }>;
}

const MAX_PATHSPEC = 100;
/** Delay before git confirms in-process diffs of edited paths (bursts of edits coalesce). */
const CONFIRM_DELAY_MS = 300;
const CONFIRM_MAX_DELAY_MS = 1000;

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
  private byteExact = false;
  /** Paths whose quick result is applied while git's own answer is still pending. */
  private readonly quickDone = new Set<string>();
  private closed = false;

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
    // Start the long-lived cat-file soon, not on the first edit (a moment later: starting the
    // git worker thread should not land in the same event-loop turn as the CPU workers').
    if (this.byteExact && this.tree && this.opts.quickDiff) {
      const tree = this.tree;
      const quick = this.opts.quickDiff;
      setTimeout(() => {
        if (this.closed) return;
        quick({ toplevel: tree.toplevel, prefix: tree.prefix, realRoot: this.opts.realRoot, paths: [], known: [] }).catch(() => undefined);
      }, 50).unref();
    }
  }

  /** Drop everything cached (DELETE /api/cache/all). */
  reset(): void {
    this.forceFull = true;
  }

  /** Paths the watcher saw change: their status and diff are refreshed before the next answer. */
  notePathsChanged(paths: readonly string[]): void {
    if (!this.value || !this.tree || this.closed) return;
    for (const p of paths) {
      this.dirty.add(p);
      this.quickDone.delete(p);
    }
    // Where edited paths are diffed in-process, git's own (slower, CPU-heavy on big indexes)
    // confirmation runs a moment later, once a burst of edits is over, instead of competing
    // with the request that usually follows an edit. Otherwise it starts at once.
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    const now = Date.now();
    if (this.confirmFirstAt === 0) this.confirmFirstAt = now;
    const run = (): void => {
      this.confirmTimer = null;
      this.confirmFirstAt = 0;
      if (!this.tree || this.closed) return;
      this.partialRefresh(this.tree).catch((err: unknown) => {
        if (!this.closed) this.logger.warn({ err }, 'git refresh of edited paths failed');
      });
    };
    // …but never later than a second after the first of them (constant edits still get confirmed).
    if (this.byteExact && this.opts.quickDiff && now - this.confirmFirstAt < CONFIRM_MAX_DELAY_MS) {
      this.confirmTimer = setTimeout(run, Math.min(CONFIRM_DELAY_MS, this.confirmFirstAt + CONFIRM_MAX_DELAY_MS - now));
      this.confirmTimer.unref();
    } else run();
  }

  private confirmTimer: NodeJS.Timeout | null = null;
  private confirmFirstAt = 0;

  /**
   * Current git facts, or null outside a work tree. `maxAgeMs`: when given (watcher not
   * working), a full refresh runs if the last one is older.
   */
  async get(maxAgeMs?: number): Promise<GitSnapshot | null> {
    if (!(await this.checkState(maxAgeMs))) return null;
    return this.settle();
  }

  /**
   * Cheap part of `get`: re-read HEAD/index and run a full refresh if they changed (the epoch
   * is then current). Resolves false outside a work tree.
   */
  async checkState(maxAgeMs?: number): Promise<boolean> {
    const tree = this.tree;
    if (!tree) return false;
    const key = await gitStateKey(tree);
    const stale = this.forceFull || key !== this.key || (maxAgeMs !== undefined && Date.now() - this.refreshedAt > maxAgeMs);
    if (stale) {
      this.forceFull = false;
      await this.fullRefresh(tree);
    }
    return true;
  }

  /**
   * Facts with every edited path accounted for. Where bytes equal git's view (no attributes,
   * no eol conversion) the edited paths are diffed in-process against HEAD in a few ms, and
   * git's own per-path refresh replaces that result when it lands; otherwise this waits for git.
   */
  async settle(): Promise<GitSnapshot | null> {
    const tree = this.tree;
    if (!tree) return null;
    const pending = [...this.dirty, ...this.inflightPaths].filter((p) => !this.quickDone.has(p));
    if (pending.length === 0 && this.quickDone.size > 0) return this.value;
    if (this.byteExact && this.opts.quickDiff && pending.length > 0 && pending.length <= MAX_PATHSPEC) {
      const known: Array<[string, string]> = pending.flatMap((p) => {
        const c = this.changes.get(p);
        return c ? [[p, c.status] as [string, string]] : [];
      });
      const r = await this.opts.quickDiff({ toplevel: tree.toplevel, prefix: tree.prefix, realRoot: this.opts.realRoot, paths: pending, known });
      if (r.unresolved.length === 0) {
        // git's answer may have landed meanwhile: it wins.
        const stillPending = new Set([...this.dirty, ...this.inflightPaths]);
        for (const p of r.clean) if (stillPending.has(p)) this.changes.delete(p);
        for (const c of r.changes) if (stillPending.has(c.path)) this.changes.set(c.path, c);
        for (const p of pending) if (stillPending.has(p)) this.quickDone.add(p);
        this.publish();
        return this.value;
      }
    }
    if (this.dirty.size > 0 || this.partial) await this.partialRefresh(tree);
    return this.value;
  }

  /** Stop reporting failures (the pool is going away). */
  close(): void {
    this.closed = true;
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
  }

  /** Edited paths whose git status is not known yet. */
  get pendingPaths(): ReadonlySet<string> {
    return this.dirty;
  }

  /**
   * Signals for ranking before the per-path refresh finishes: the known changes plus every
   * edited path as modified (an edited file almost always is). Lets a rebuild run while git
   * is still answering; `provisionalHolds` says afterwards whether the guess was right.
   */
  provisionalSignals(): GitSignals | null {
    if (!this.value) return null;
    const base = this.value.signals;
    if ([...this.dirty, ...this.inflightPaths].every((p) => this.quickDone.has(p))) return base;
    const known = new Map(base.uncommitted);
    // Paths with an in-process result are already in `changes`; the rest are guessed modified.
    for (const p of [...this.dirty, ...this.inflightPaths]) if (!this.quickDone.has(p) && !known.has(p)) known.set(p, 'modified');
    return { uncommitted: [...known], recentCommitFiles: base.recentCommitFiles };
  }

  /** Whether the final signals agree with a provisional set on which paths are uncommitted. */
  provisionalHolds(provisional: GitSignals): boolean {
    const final = new Set((this.value?.signals.uncommitted ?? []).map((u) => u[0]));
    const guess = new Set(provisional.uncommitted.map((u) => u[0]));
    if (final.size !== guess.size) return false;
    for (const p of guess) if (!final.has(p)) return false;
    return true;
  }

  private inflightPaths: string[] = [];

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
    this.inflightPaths = paths;
    this.partial = (async () => {
      this.apply(await this.opts.collect(this.task(tree, paths)));
    })().finally(() => {
      this.partial = null;
      this.inflightPaths = [];
    });
    return this.partial;
  }

  private apply(facts: GitFacts): void {
    if (facts.paths) {
      for (const p of facts.paths) {
        this.changes.delete(p);
        // git answered for this path; a later edit marks it again.
        if (!this.dirty.has(p)) this.quickDone.delete(p);
      }
      for (const c of facts.changes) this.changes.set(c.path, c);
    } else {
      this.changes = new Map(facts.changes.map((c) => [c.path, c]));
      this.byteExact = facts.byteExact === true;
      for (const p of [...this.quickDone]) if (!this.dirty.has(p)) this.quickDone.delete(p);
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
