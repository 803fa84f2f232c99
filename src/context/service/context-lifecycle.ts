import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ContextGenerationError } from '../../errors/index.js';
import { GitState } from '../git/git-context.js';
import { MetadataProvider } from '../metadata/metadata.js';
import { PathRules } from '../files/path-rules.js';
import { ProjectIndex, type AppliedChange } from '../index/project-index.js';
import { ProjectWatcher } from '../watch/project-watcher.js';
import { ContextPool } from '../pool/scan-pool.js';
import { SearchPool } from '../pool/search-pool.js';
import { SearchFeeder, type SearchIndexStatus } from '../index/search-feeder.js';
import { RECENT_COMMITS, type ContextState } from './context-state.js';
import type { ContextInvalidation } from './context-invalidation.js';

/**
 * The engine's index and watch lifecycle: the first scan, the worker pools, the watcher and
 * its verification, rescans (TTL, .gitignore, compaction, watcher overflow) and shutdown.
 */
export class ContextLifecycle {
  constructor(
    private readonly s: ContextState,
    private readonly invalidation: ContextInvalidation,
  ) {}

  /**
   * Scan the project (in a worker), start the watcher and warm git facts. Idempotent; the
   * first getContext also awaits it.
   */
  start(): Promise<void> {
    const s = this.s;
    s.started ??= this.doStart().catch((err: unknown) => {
      // Closed while starting (a sidecar stopped right after it started): not a failure.
      if (s.closed) return;
      throw err;
    });
    return s.started;
  }

  private async doStart(): Promise<void> {
    const s = this.s;
    s.realRoot = await fsp.realpath(s.root).catch(() => {
      throw new ContextGenerationError('Project root is not accessible');
    });
    const storage = await fsp.realpath(s.deps.config.storage_path).catch(() => path.resolve(s.deps.config.storage_path));
    const storageRel = path.relative(s.realRoot, storage);
    s.rules = new PathRules({
      defaultExcludes: s.cfg.default_excludes,
      exclude: s.cfg.exclude,
      secretFiles: s.cfg.secret_files,
      storageRel: storageRel && !storageRel.startsWith('..') && !path.isAbsolute(storageRel) ? storageRel.split(path.sep).join('/') : null,
    });
    s.index = new ProjectIndex(s.rules);
    s.pool = new ContextPool({ threads: s.cfg.worker_threads, logger: s.logger });
    const pool = s.pool;
    s.git = new GitState({
      root: s.realRoot,
      realRoot: s.realRoot,
      collect: (task) => pool.gitFacts(task),
      recentCommits: RECENT_COMMITS,
      maxUncommitted: s.cfg.max_uncommitted,
      logger: s.logger,
      onEpoch: (epoch) => this.invalidation.onGitEpoch(epoch),
      showRootFiles: () => s.index.totals().total_files <= 5000,
      quickDiff: (task) => pool.worktreeDiff(task),
    });
    s.metadata = new MetadataProvider({ realRoot: s.realRoot, recheckMs: Math.min(2000, Math.max(100, s.cfg.ttl_ms)) });
    // The scan runs git status anyway (untracked and changed files): the same run gives the
    // git facts, all in a worker — spawning children blocks the thread that spawns them.
    const scan = await s.pool.scan({ ...this.scanTask(), gitFacts: { recentCommits: RECENT_COMMITS, maxUntrackedCounted: s.cfg.max_uncommitted } });
    s.index.setScan(scan, Date.now());
    s.git.setWorkTree(scan.tree);
    this.primeWorkers();
    // The code search index builds in the background in its own thread: contexts asked for
    // meanwhile rank by what is indexed so far and say so (`context.search_index`).
    s.searchPool = new SearchPool({ logger: s.logger });
    s.search = new SearchFeeder({
      pool: s.searchPool,
      realRoot: s.realRoot,
      rules: s.rules.options,
      maxFileBytes: s.cfg.max_file_bytes,
      logger: s.logger,
      // Issue contexts ranked on a partial index give way to complete ones. (Others only lack
      // their code map, marked truncated: a warm cache is worth more than that.)
      onReady: () => {
        // (Issue builds still in flight are refused by `storable`; others are not disturbed.)
        s.cache.removeWhere((e) => e.issue !== null && e.searchIndex !== null && e.searchIndex.state !== 'ready');
      },
    });
    if (!s.closed) s.search.build(scan.snapshot);
    if (scan.gitFacts) s.git.seed(scan.gitFacts);
    s.logger.info(
      {
        files: scan.snapshot.count,
        mode: scan.mode,
        ms: Math.round(scan.timings.totalMs),
        list_ms: Math.round(scan.timings.listMs),
        stat_ms: Math.round(scan.timings.statMs),
      },
      'project indexed',
    );
    if (s.watchEnabled && !s.closed) {
      s.watcher = new ProjectWatcher({
        realRoot: s.realRoot,
        index: s.index,
        backend: s.cfg.watcher,
        logger: s.logger,
        onChanges: (c) => this.invalidation.onChanges(c),
        onRescanNeeded: (reason) => void this.rescan(reason).catch((err: unknown) => s.logger.error({ err }, 'rescan failed')),
        createBackend: s.deps.createWatchBackend,
      });
      await s.watcher.start();
      if (s.watcher.status === 'ok') {
        // Changes between the scan's listing and the watches being set were not seen: verify
        // with one more scan (diffed, so only affected contexts are dropped). Until it is done
        // the TTL rules apply.
        s.watcherVerified = false;
        s.verifyTimer = setTimeout(() => {
          s.verifyTimer = null;
          this.rescan('verify after watcher start')
            .then(() => (s.watcherVerified = true))
            .catch((err: unknown) => s.logger.warn({ err }, 'verification scan failed'));
        }, 250);
        s.verifyTimer.unref();
      }
    }
  }

  /**
   * Warm every CPU worker on the new index in the background: two overlapping tasks make the
   * pool start its second thread now (after the scan, not during it) and both decode the
   * snapshot, so the first requests do not pay for it.
   */
  private primeWorkers(): void {
    const s = this.s;
    const snapshot = s.index.snapshot;
    const pool = s.pool;
    if (!snapshot || !pool) return;
    const profile = s.profileFor('default');
    const task = {
      prime: true,
      root: s.root,
      realRoot: s.realRoot,
      snapshot,
      overlay: [],
      profile,
      signals: { issueFiles: [], uncommitted: [], recentCommitFiles: [], queryTerms: [], now: Date.now() },
      maxBytes: 1,
      maxFiles: 1,
      strategy: 'smart' as const,
      structureMaxFiles: 0,
      maxFileBytes: 1,
      rules: s.rules.options,
    };
    // One more thread per macrotask: each `new Worker` holds the event loop 10–20 ms. Never
    // while a request waits: its own build decodes the index too, and a warm-up queued ahead
    // of it (or a thread started for it) would only delay the answer.
    let primed = 0;
    const next = (): void => {
      if (s.closed || primed >= pool.maxThreads) return;
      if (s.requestsInFlight === 0) {
        primed++;
        pool.build(task).catch(() => undefined);
      }
      setTimeout(next, s.requestsInFlight === 0 ? 5 : 50).unref();
    };
    setTimeout(next, 5).unref();
  }

  private scanTask() {
    return { root: this.s.root, realRoot: this.s.realRoot, rules: this.s.rules.options, useGit: this.s.deps.useGit ?? true };
  }

  /** Without a trusted watcher, the index is rescanned when older than the TTL. */
  async ensureFresh(): Promise<void> {
    const s = this.s;
    if (s.watching()) return;
    if (s.rescanning) return s.rescanning;
    if (Date.now() - s.index.scannedAt > s.cfg.ttl_ms) await this.rescan('ttl');
  }

  /** Rescan the project against the current index; concurrent calls share one scan. */
  rescan(reason: string): Promise<void> {
    const s = this.s;
    if (s.rescanning) return s.rescanning;
    if (!s.pool || s.closed) return Promise.resolve();
    const pool = s.pool;
    s.rescanning = (async () => {
      const t0 = performance.now();
      s.changesDuringScan = [];
      const snapshot = s.index.snapshot!;
      const res = await pool.scan({ ...this.scanTask(), previous: { snapshot, overlay: s.index.overlayEntries() } });
      const during = s.changesDuringScan;
      s.changesDuringScan = null;
      if (s.closed) return;
      s.index.setScan(res, Date.now());
      // Changes the watcher applied while the scan ran: re-apply on the new base (idempotent).
      for (const c of during) s.index.apply(c.path, c.kind === 'unlink' ? null : { size: c.size!, mtimeMs: c.mtimeMs! });
      const diff: AppliedChange[] = (res.changes ?? []).map((c) => {
        const now = s.index.lookup(c.path);
        return now ? { path: c.path, kind: c.kind, size: now.size, mtimeMs: now.mtimeMs } : { path: c.path, kind: 'unlink' as const };
      });
      if (diff.length > 0) this.invalidation.propagate(diff);
      s.watcher?.syncDirectories();
      s.logger.debug({ reason, changes: diff.length, ms: Math.round(performance.now() - t0) }, 'project rescanned');
    })().finally(() => {
      s.rescanning = null;
    });
    return s.rescanning;
  }

  /** Resolves when the initial code search index is built (tests, benchmarks). */
  async searchIndexBuilt(): Promise<SearchIndexStatus | null> {
    await this.start();
    await this.s.search?.whenBuilt();
    return this.s.search?.status() ?? null;
  }

  /** Wait until every file event seen so far has been applied (tests, benchmarks). */
  async settle(): Promise<void> {
    await this.s.watcher?.flush();
    if (this.s.rescanning) await this.s.rescanning;
  }

  /** Stop the watcher, publish pending events and stop the worker pool. Idempotent. */
  async close(): Promise<void> {
    const s = this.s;
    if (s.closed) return;
    s.closed = true;
    if (s.verifyTimer) clearTimeout(s.verifyTimer);
    s.git?.close();
    await s.watcher?.close();
    // The last change before shutdown must reach the bus before the bus closes (shutdown-list.ts).
    await s.events.flush();
    if (s.rescanning) await s.rescanning.catch(() => undefined);
    s.search?.stop();
    await Promise.all([s.pool?.close(), s.searchPool?.close()]);
  }
}
