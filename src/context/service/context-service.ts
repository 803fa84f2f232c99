import { LRUCache } from 'lru-cache';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { ContextBudgetError, ContextGenerationError } from '../../errors/index.js';
import { resolveProfile, type AgentProfile } from '../ranking/agent-profiles.js';
import type { Strategy } from '../ranking/budget.js';
import { parseContextConfig, MAX_CONTEXT_BYTES_CAP, type ContextConfig } from './context-config.js';
import { ContextCache, type ClearResult } from '../cache/context-cache.js';
import type { ContextRequest, ContextResponse, PreviousAgentOutput } from './context-types.js';
import { GitState, type GitSnapshot } from '../git/git-context.js';
import { affectsMetadata, MetadataProvider } from '../metadata/metadata.js';
import { PathRules } from '../files/path-rules.js';
import { ProjectIndex, type AppliedChange } from '../index/project-index.js';
import { ProjectWatcher, type WatcherStatus } from '../watch/project-watcher.js';
import { prepareSignals, ProfileScorer, queryTerms, type RankSignals } from '../ranking/ranking.js';
import { ContextPool } from '../pool/scan-pool.js';
import { silentLogger, type ComponentLogger as Logger } from '../../logging/component-logger.js';
import type { BackendHandlers, WatchBackend } from '../watch/watch-backends.js';
import { affects, type Entry } from '../cache/context-entry.js';
import { FilesChangedEvents, type PublishInput } from '../watch/files-changed-events.js';
import type { IssueLookup, IssueRecord } from '../../issues/issue-record.js';
import { SearchPool } from '../pool/search-pool.js';
import { SearchFeeder, type SearchIndexStatus } from '../index/search-feeder.js';
import { CODE_MAP_SHARE } from '../ranking/code-map.js';
import { codeMapFor, issueHits } from './issue-steps.js';

export type { PublishInput } from '../watch/files-changed-events.js';

/** Everything the service needs from the outside, injected as plain functions. */
export interface ContextServiceDeps {
  config: Config;
  /** Publishes `files_changed` (debounced). Failures are logged, never thrown. */
  publish?: (event: PublishInput) => unknown;
  /** `previous_agent_outputs` for an issue, from the result store. */
  previousOutputs?: (projectId: string, issueId: string) => Promise<PreviousAgentOutput[]>;
  logger?: Logger;
  /** Overrides `config.watch` (e.g. `start --no-watch`). */
  watch?: boolean;
  /** Tests: force the non-git walker even inside a work tree. */
  useGit?: boolean;
  /** Tests: a custom watch backend (e.g. one that fails like an exhausted inotify). */
  createWatchBackend?: (handlers: BackendHandlers) => WatchBackend;
  /** The issue registry (spec §6): contexts are ranked by the issue's text when it knows it. */
  issues?: IssueLookup;
}

export interface ContextStats {
  context_cache_entries: number;
  context_cache_bytes: number;
  context_cache_max_bytes: number;
  cache_hit_rate: number;
  cache_hits: number;
  cache_misses: number;
  cache_builds: number;
  indexed_files: number;
}

export interface WatcherStatusReport {
  status: 'ok' | 'degraded' | 'disabled';
  /** `starting` while the initial watches are being set and verified (a TTL applies meanwhile). */
  phase: WatcherStatus;
  reason?: string;
  watched_directories: number;
  index_mode: 'git' | 'walk' | null;
  indexed_files: number;
  /** Bumped on every change applied to the index (watcher events, rescans). */
  index_version: number;
  /** Time the backend took to set the initial watches (ms). */
  watch_ready_ms: number | null;
  ttl_ms: number;
}

interface ActiveBuild {
  changes: AppliedChange[];
}

const COMPACT_AFTER = 5000;
/** Commits fetched once per HEAD; profiles list up to their `requirements.recent_commits`. */
const RECENT_COMMITS = 30;

/** The context engine the server holds. See createContextService. */
export class ContextService {
  private readonly deps: ContextServiceDeps;
  private readonly cfg: ContextConfig;
  private readonly logger: Logger;
  private readonly root: string;
  private readonly projectId: string;
  private readonly watchEnabled: boolean;
  private realRoot = '';
  private rules!: PathRules;
  private index!: ProjectIndex;
  private pool: ContextPool | null = null;
  private searchPool: SearchPool | null = null;
  private search: SearchFeeder | null = null;
  private watcher: ProjectWatcher | null = null;
  private git!: GitState;
  private metadata!: MetadataProvider;
  private readonly cache: ContextCache<Entry>;
  private readonly previous = new Map<string, Promise<PreviousAgentOutput[]>>();
  private readonly profiles = new LRUCache<string, AgentProfile>({ max: 2000 });
  private readonly scorers = new Map<string, ProfileScorer>();
  private readonly activeBuilds = new Set<ActiveBuild>();
  private readonly jsonSizes = new WeakMap<object, number>();
  private gitEpoch = 0;
  private requestsInFlight = 0;
  private started: Promise<void> | null = null;
  private rescanning: Promise<void> | null = null;
  private changesDuringScan: AppliedChange[] | null = null;
  private readonly events: FilesChangedEvents;
  private verifyTimer: NodeJS.Timeout | null = null;
  private watcherVerified = false;
  private closed = false;

  constructor(deps: ContextServiceDeps) {
    this.deps = deps;
    this.cfg = parseContextConfig(deps.config.context);
    this.logger = deps.logger ?? silentLogger;
    this.root = deps.config.project_root;
    this.projectId = deps.config.project_id;
    this.watchEnabled = deps.watch ?? deps.config.watch;
    this.cache = new ContextCache<Entry>(deps.config.cache_size_mb * 1024 * 1024);
    this.events = new FilesChangedEvents({ publish: deps.publish, projectId: this.projectId, debounceMs: this.cfg.debounce_ms, logger: this.logger });
  }

  /** The validated `context` config section. */
  get contextConfig(): ContextConfig {
    return this.cfg;
  }

  /**
   * Scan the project (in a worker), start the watcher and warm git facts. Idempotent; the
   * first getContext also awaits it.
   */
  start(): Promise<void> {
    this.started ??= this.doStart().catch((err: unknown) => {
      // Closed while starting (a sidecar stopped right after it started): not a failure.
      if (this.closed) return;
      throw err;
    });
    return this.started;
  }

  private async doStart(): Promise<void> {
    this.realRoot = await fsp.realpath(this.root).catch(() => {
      throw new ContextGenerationError('Project root is not accessible');
    });
    const storage = await fsp.realpath(this.deps.config.storage_path).catch(() => path.resolve(this.deps.config.storage_path));
    const storageRel = path.relative(this.realRoot, storage);
    this.rules = new PathRules({
      defaultExcludes: this.cfg.default_excludes,
      exclude: this.cfg.exclude,
      secretFiles: this.cfg.secret_files,
      storageRel: storageRel && !storageRel.startsWith('..') && !path.isAbsolute(storageRel) ? storageRel.split(path.sep).join('/') : null,
    });
    this.index = new ProjectIndex(this.rules);
    this.pool = new ContextPool({ threads: this.cfg.worker_threads, logger: this.logger });
    const pool = this.pool;
    this.git = new GitState({
      root: this.realRoot,
      realRoot: this.realRoot,
      collect: (task) => pool.gitFacts(task),
      recentCommits: RECENT_COMMITS,
      maxUncommitted: this.cfg.max_uncommitted,
      logger: this.logger,
      onEpoch: (epoch) => this.onGitEpoch(epoch),
      showRootFiles: () => this.index.totals().total_files <= 5000,
      quickDiff: (task) => pool.worktreeDiff(task),
    });
    this.metadata = new MetadataProvider({ realRoot: this.realRoot, recheckMs: Math.min(2000, Math.max(100, this.cfg.ttl_ms)) });
    // The scan runs git status anyway (untracked and changed files): the same run gives the
    // git facts, all in a worker — spawning children blocks the thread that spawns them.
    const scan = await this.pool.scan({ ...this.scanTask(), gitFacts: { recentCommits: RECENT_COMMITS, maxUntrackedCounted: this.cfg.max_uncommitted } });
    this.index.setScan(scan, Date.now());
    this.git.setWorkTree(scan.tree);
    this.primeWorkers();
    // The code search index builds in the background in its own thread: contexts asked for
    // meanwhile rank by what is indexed so far and say so (`context.search_index`).
    this.searchPool = new SearchPool({ logger: this.logger });
    this.search = new SearchFeeder({ pool: this.searchPool, realRoot: this.realRoot, rules: this.rules.options, maxFileBytes: this.cfg.max_file_bytes, logger: this.logger,
      // Issue contexts ranked on a partial index give way to complete ones. (Others only lack
      // their code map, marked truncated: a warm cache is worth more than that.)
      onReady: () => {
        // (Issue builds still in flight are refused by `storable`; others are not disturbed.)
        this.cache.removeWhere((e) => e.issue !== null && e.searchIndex !== null && e.searchIndex.state !== 'ready');
      },
    });
    if (!this.closed) this.search.build(scan.snapshot);
    if (scan.gitFacts) this.git.seed(scan.gitFacts);
    this.logger.info({ files: scan.snapshot.count, mode: scan.mode, ms: Math.round(scan.timings.totalMs), list_ms: Math.round(scan.timings.listMs), stat_ms: Math.round(scan.timings.statMs) }, 'project indexed');
    if (this.watchEnabled && !this.closed) {
      this.watcher = new ProjectWatcher({
        realRoot: this.realRoot,
        index: this.index,
        backend: this.cfg.watcher,
        logger: this.logger,
        onChanges: (c) => this.onChanges(c),
        onRescanNeeded: (reason) => void this.rescan(reason).catch((err) => this.logger.error({ err }, 'rescan failed')),
        createBackend: this.deps.createWatchBackend,
      });
      await this.watcher.start();
      if (this.watcher.status === 'ok') {
        // Changes between the scan's listing and the watches being set were not seen: verify
        // with one more scan (diffed, so only affected contexts are dropped). Until it is done
        // the TTL rules apply.
        this.watcherVerified = false;
        this.verifyTimer = setTimeout(() => {
          this.verifyTimer = null;
          this.rescan('verify after watcher start')
            .then(() => (this.watcherVerified = true))
            .catch((err) => this.logger.warn({ err }, 'verification scan failed'));
        }, 250);
        this.verifyTimer.unref();
      }
    }
  }

  /**
   * Warm every CPU worker on the new index in the background: two overlapping tasks make the
   * pool start its second thread now (after the scan, not during it) and both decode the
   * snapshot, so the first requests do not pay for it.
   */
  private primeWorkers(): void {
    const snapshot = this.index.snapshot;
    const pool = this.pool;
    if (!snapshot || !pool) return;
    const profile = this.profileFor('default');
    const task = {
      prime: true, root: this.root, realRoot: this.realRoot, snapshot, overlay: [], profile,
      signals: { issueFiles: [], uncommitted: [], recentCommitFiles: [], queryTerms: [], now: Date.now() },
      maxBytes: 1, maxFiles: 1, strategy: 'smart' as const, structureMaxFiles: 0, maxFileBytes: 1, rules: this.rules.options,
    };
    // One more thread per macrotask: each `new Worker` holds the event loop 10–20 ms. Never
    // while a request waits: its own build decodes the index too, and a warm-up queued ahead
    // of it (or a thread started for it) would only delay the answer.
    let primed = 0;
    const next = (): void => {
      if (this.closed || primed >= pool.maxThreads) return;
      if (this.requestsInFlight === 0) {
        primed++;
        pool.build(task).catch(() => undefined);
      }
      setTimeout(next, this.requestsInFlight === 0 ? 5 : 50).unref();
    };
    setTimeout(next, 5).unref();
  }

  private scanTask() {
    return { root: this.root, realRoot: this.realRoot, rules: this.rules.options, useGit: this.deps.useGit ?? true };
  }

  /** True when the watcher is trusted (the TTL does not apply). */
  private watching(): boolean {
    return this.watcher !== null && this.watcher.status === 'ok' && this.watcherVerified;
  }

  // ---------------------------------------------------------------------------------------
  // Requests

  /**
   * The context for one agent on one issue (the exact 200 body of the spec).
   *
   * @example await service.getContext({ issue_id: 'ISSUE-1', agent_type: 'python-specialist' })
   */
  async getContext(req: ContextRequest): Promise<ContextResponse> {
    this.requestsInFlight++;
    try {
      return await this.answer(req);
    } finally {
      this.requestsInFlight--;
    }
  }

  private async answer(req: ContextRequest): Promise<ContextResponse> {
    const t0 = performance.now();
    let params = this.validate(req);
    await this.start();
    if (this.closed) throw new ContextGenerationError('Context engine is shutting down');
    await this.ensureFresh();
    // HEAD/index first (cheap; a commit or checkout starts a new epoch and drops the cache).
    await this.gitCheck();
    const profile = params.profile;
    // The issue's revision is part of the key: updating an issue refreshes its contexts.
    const issue = await this.issueFor(params.issueId);
    params = { ...params, key: `${params.key}\0r${issue?.revision ?? 0}` };
    if (!params.refresh) {
      const hit = this.cache.get(params.key);
      if (hit && hit.gitEpoch === this.gitEpoch) {
        this.cache.hits++;
        return this.assemble(hit, await this.gitSettled(), true, t0);
      }
    }
    this.cache.misses++;
    if (params.refresh) this.cache.markInflightStale(params.issueId);
    const { value } = await this.cache.singleFlight(
      params.key,
      params.issueId,
      () => this.build(params, profile, issue),
      (v) => this.storable(v),
    );
    return this.assemble(value, await this.gitSettled(), false, t0);
  }

  private validate(req: ContextRequest) {
    // The request's shape was validated at the edge (src/contract/context.ts); the cap is the
    // engine's own invariant (413 CTX_002, not a 400).
    if (req.max_bytes !== undefined && req.max_bytes > MAX_CONTEXT_BYTES_CAP) throw new ContextBudgetError(req.max_bytes, MAX_CONTEXT_BYTES_CAP);
    const profile = this.profileFor(req.agent_type);
    const maxBytes = req.max_bytes ?? profile.maxBytes ?? this.cfg.default_max_bytes;
    const maxFiles = req.max_files ?? profile.maxFiles ?? this.cfg.default_max_files;
    const strategy: Strategy = req.strategy ?? 'smart';
    const q = (req.q ?? '').trim();
    const key = [this.projectId, req.issue_id, req.agent_type, maxBytes, maxFiles, strategy, q].join('\0');
    return { key, issueId: req.issue_id, agentType: req.agent_type, maxBytes, maxFiles, strategy, q, refresh: req.refresh === true, profile };
  }

  private profileFor(agentType: string): AgentProfile {
    let p = this.profiles.get(agentType);
    if (!p) {
      p = resolveProfile(agentType, this.cfg);
      this.profiles.set(agentType, p);
    }
    return p;
  }

  private scorerFor(profile: AgentProfile): ProfileScorer {
    let s = this.scorers.get(profile.key);
    if (!s) {
      s = new ProfileScorer(profile);
      this.scorers.set(profile.key, s);
    }
    return s;
  }

  /** Without a trusted watcher, the index is rescanned when older than the TTL. */
  private async ensureFresh(): Promise<void> {
    if (this.watching()) return;
    if (this.rescanning) return this.rescanning;
    if (Date.now() - this.index.scannedAt > this.cfg.ttl_ms) await this.rescan('ttl');
  }

  private async gitCheck(): Promise<void> {
    try {
      await this.git.checkState(this.watching() ? undefined : this.cfg.ttl_ms);
    } catch (err) {
      this.logger.warn({ err }, 'git context unavailable');
    }
  }

  /** Git facts with every edited path refreshed (null outside a work tree or when git fails). */
  private async gitSettled(): Promise<GitSnapshot | null> {
    try {
      return await this.git.settle();
    } catch (err) {
      this.logger.warn({ err }, 'git context unavailable');
      return null;
    }
  }

  /** The issue from the registry (null when unknown, or when the registry fails: logged). */
  private async issueFor(issueId: string): Promise<IssueRecord | null> {
    if (!this.deps.issues) return null;
    try {
      return await this.deps.issues(this.projectId, issueId);
    } catch (err) {
      this.logger.warn({ err }, 'issue registry unavailable: context ranked without the issue');
      return null;
    }
  }

  private previousFor(issueId: string): Promise<PreviousAgentOutput[]> {
    let p = this.previous.get(issueId);
    if (!p) {
      const fetch = this.deps.previousOutputs;
      p = fetch ? fetch(this.projectId, issueId).then((v) => (Array.isArray(v) ? v : [])) : Promise.resolve([]);
      p.catch(() => this.previous.delete(issueId));
      this.previous.set(issueId, p);
    }
    return p;
  }

  private async build(params: ReturnType<ContextService['validate']>, profile: AgentProfile, issue: IssueRecord | null): Promise<Entry> {
    const active: ActiveBuild = { changes: [] };
    this.activeBuilds.add(active);
    try {
      const previous = profile.requirements.previous_outputs ? await this.previousFor(params.issueId).catch((err) => {
        this.logger.warn({ err }, 'previous agent outputs unavailable');
        return [] as PreviousAgentOutput[];
      }) : [];
      const issueFiles = new Set<string>();
      for (const o of previous) for (const f of o.files_affected ?? []) if (typeof f === 'string') issueFiles.add(f.replace(/^\.\//, ''));
      // Rank while git refreshes the paths just edited: they count as uncommitted meanwhile.
      const gitSignals = this.git.provisionalSignals();
      const signals: RankSignals = {
        issueFiles: [...issueFiles],
        uncommitted: gitSignals?.uncommitted ?? [],
        recentCommitFiles: gitSignals?.recentCommitFiles ?? [],
        queryTerms: queryTerms(params.q),
        now: Date.now(),
      };
      const search = this.search;
      if (issue && search) signals.issueHits = await issueHits(search, issue, profile.weights, this.logger);
      const searchIndex = search?.status() ?? null;
      const mapReady = searchIndex?.state === 'ready';
      const snapshot = this.index.snapshot;
      if (!snapshot || !this.pool) throw new ContextGenerationError('Project index is not ready');
      const epoch = this.gitEpoch;
      const settled = this.gitSettled();
      const built = await this.pool.build({
        root: this.root,
        realRoot: this.realRoot,
        snapshot,
        overlay: this.index.overlayEntries(),
        profile,
        signals,
        maxBytes: params.maxBytes,
        maxFiles: params.maxFiles,
        strategy: params.strategy,
        structureMaxFiles: this.cfg.structure_max_files,
        maxFileBytes: this.cfg.max_file_bytes,
        rules: this.rules.options,
        codeMapShare: mapReady ? CODE_MAP_SHARE : 0,
      });
      const { map: codeMap, bytes: codeMapBytes } = await codeMapFor(mapReady ? search : null, built.mapCandidates, params.maxBytes - built.contentBytes);
      await settled;
      // Stored only if git confirmed the guess about which edited paths are uncommitted.
      const signalsHeld = gitSignals === null || this.git.provisionalHolds(gitSignals);
      this.logger.debug({ agent_type: params.agentType, timings: built.timings }, 'context built');
      let bytes = built.contentBytes + 512;
      for (const f of built.relevantFiles) bytes += f.path.length + f.reason.length + 160;
      for (const f of built.files) bytes += f.length + 4;
      for (const d of built.directories) bytes += d.length + 4;
      bytes += this.jsonSize(previous) + codeMapBytes + this.jsonSize(issue);
      const entry: Entry = {
        key: params.key,
        issueId: params.issueId,
        bytes,
        profile,
        signals: prepareSignals(signals),
        built,
        included: new Set(built.relevantFiles.map((f) => f.path)),
        listed: new Set(built.files),
        // A code-map file's edit changes its definitions: it counts as read.
        considered: new Set([...built.considered, ...codeMap.files.map((f) => f.path)]),
        previous,
        issue,
        codeMap,
        codeMapBytes,
        searchIndex,
        gitEpoch: epoch,
        strategy: params.strategy,
        maxBytes: params.maxBytes,
      };
      entry.changesSeen = active.changes;
      entry.signalsHeld = signalsHeld;
      return entry;
    } finally {
      this.activeBuilds.delete(active);
    }
  }

  /** Store a finished build only if nothing that happened while it ran affects it. */
  private storable(entry: Entry): boolean {
    const seen = entry.changesSeen ?? [];
    delete entry.changesSeen;
    const reason = entry.gitEpoch !== this.gitEpoch ? 'git epoch changed'
      : entry.signalsHeld === false ? 'provisional git signals were wrong'
        : entry.issue !== null && entry.searchIndex?.state === 'building' && this.search?.status().state === 'ready' ? 'ranked on a search index that has since been completed'
        : seen.some((c) => affects(entry, c, this.scorerFor(entry.profile))) ? 'a file it depends on changed while it was built' : null;
    if (reason) this.logger.debug({ key: entry.key, reason }, 'context not cached');
    return reason === null;
  }

  private async assemble(e: Entry, gitSnap: GitSnapshot | null, hit: boolean, t0: number): Promise<ContextResponse> {
    const totals = this.index.totals();
    const req = e.profile.requirements;
    const meta = await this.metadata.get(this.index.manifests(), totals.by_language, { background: this.watching() });
    const metadata = req.metadata ? meta : { project_type: meta.project_type, project_types: meta.project_types, dependencies: [] };
    let git = req.git_context && gitSnap ? gitSnap.context : null;
    if (git && git.recent_commits.length > req.recent_commits) git = { ...git, recent_commits: git.recent_commits.slice(0, req.recent_commits) };
    const listChars = e.built.files.reduce((n, f) => n + f.length + 3, 0);
    const tokens = Math.ceil((e.built.contentBytes + e.codeMapBytes + listChars + this.jsonSize(git) + this.jsonSize(metadata) + this.jsonSize(e.previous) + this.jsonSize(e.issue)) / 4);
    return {
      issue_id: e.issueId,
      agent_type: e.profile.agentType,
      context: {
        project_structure: {
          root: this.root,
          files: e.built.files,
          directories: e.built.directories,
          total_files: totals.total_files,
          total_size_bytes: totals.total_size_bytes,
          files_truncated: e.built.filesTruncated,
          by_language: totals.by_language,
        },
        relevant_files: e.built.relevantFiles,
        git_context: git,
        previous_agent_outputs: e.previous,
        metadata,
        issue: e.issue,
        code_map: e.codeMap,
        search_index: e.searchIndex,
      },
      truncated: e.built.truncated,
      truncation_strategy: e.strategy,
      total_size_bytes: e.built.contentBytes,
      file_count: e.built.relevantFiles.length,
      token_estimate: tokens,
      generation_ms: Math.round((performance.now() - t0) * 100) / 100,
      timestamp: new Date().toISOString(),
      cache_hit: hit,
    };
  }

  private jsonSize(v: unknown): number {
    if (v === null || typeof v !== 'object') return 4;
    let n = this.jsonSizes.get(v);
    if (n === undefined) {
      n = JSON.stringify(v).length;
      this.jsonSizes.set(v, n);
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------
  // Invalidation

  private onChanges(changes: AppliedChange[]): void {
    if (this.closed || changes.length === 0) return;
    if (this.changesDuringScan) this.changesDuringScan.push(...changes);
    // Queued on the search thread now, so the next build's search sees it.
    void this.search?.apply(changes);
    this.invalidate(changes);
    this.git.notePathsChanged(changes.map((c) => c.path));
    if (changes.some((c) => affectsMetadata(c.path))) this.metadata.markDirty();
    this.events.queue(changes);
    if (changes.some((c) => this.index.isIgnoreFile(c.path))) void this.rescan('.gitignore changed').catch((err) => this.logger.error({ err }, 'rescan failed'));
    else if (this.index.overlaySize > COMPACT_AFTER) void this.rescan('compaction').catch((err) => this.logger.error({ err }, 'rescan failed'));
  }

  private invalidate(changes: AppliedChange[]): void {
    for (const b of this.activeBuilds) b.changes.push(...changes);
    // New requests must not join a build that started before these changes.
    if (this.activeBuilds.size > 0) this.cache.markInflightStale();
    let removed = 0;
    for (const [key, e] of [...this.cache.entries()]) {
      if (changes.some((c) => affects(e, c, this.scorerFor(e.profile)))) {
        this.cache.delete(key);
        removed++;
      }
    }
    if (removed > 0) this.logger.debug({ removed, changes: changes.length }, 'contexts invalidated');
  }

  private onGitEpoch(epoch: number): void {
    this.gitEpoch = epoch;
    // HEAD or the index changed (commit, checkout, stage): every answer's git signals changed.
    this.cache.removeWhere(() => true);
    this.cache.markInflightStale();
  }

  /** A new result was stored for this issue: its contexts carry stale previous outputs. */
  invalidateIssue(issueId: string): void {
    this.previous.delete(issueId);
    this.cache.clearIssue(issueId);
  }

  /** DELETE /api/cache/context/:issue_id (the caller maps 0 entries to 404). */
  clearIssue(issueId: string): ClearResult {
    this.previous.delete(issueId);
    return this.cache.clearIssue(issueId);
  }

  /** DELETE /api/cache/all: contexts, previous outputs, and git facts are recomputed. */
  clearAll(): ClearResult {
    this.previous.clear();
    this.git?.reset();
    this.metadata?.markDirty();
    return this.cache.clearAll();
  }

  // ---------------------------------------------------------------------------------------
  // Rescans and events

  private rescan(reason: string): Promise<void> {
    if (this.rescanning) return this.rescanning;
    if (!this.pool || this.closed) return Promise.resolve();
    const pool = this.pool;
    this.rescanning = (async () => {
      const t0 = performance.now();
      this.changesDuringScan = [];
      const snapshot = this.index.snapshot!;
      const res = await pool.scan({ ...this.scanTask(), previous: { snapshot, overlay: this.index.overlayEntries() } });
      const during = this.changesDuringScan;
      this.changesDuringScan = null;
      if (this.closed) return;
      this.index.setScan(res, Date.now());
      // Changes the watcher applied while the scan ran: re-apply on the new base (idempotent).
      for (const c of during) this.index.apply(c.path, c.kind === 'unlink' ? null : { size: c.size!, mtimeMs: c.mtimeMs! });
      const diff: AppliedChange[] = (res.changes ?? []).map((c) => {
        const now = this.index.lookup(c.path);
        return now ? { path: c.path, kind: c.kind, size: now.size, mtimeMs: now.mtimeMs } : { path: c.path, kind: 'unlink' as const };
      });
      if (diff.length > 0) {
        void this.search?.apply(diff);
        this.invalidate(diff);
        this.git.notePathsChanged(diff.map((c) => c.path));
        if (diff.some((c) => affectsMetadata(c.path))) this.metadata.markDirty();
        this.events.queue(diff);
      }
      this.watcher?.syncDirectories();
      this.logger.debug({ reason, changes: diff.length, ms: Math.round(performance.now() - t0) }, 'project rescanned');
    })().finally(() => {
      this.rescanning = null;
    });
    return this.rescanning;
  }

  // ---------------------------------------------------------------------------------------
  // Introspection and lifecycle

  stats(): ContextStats {
    return {
      context_cache_entries: this.cache.size,
      context_cache_bytes: this.cache.bytes,
      context_cache_max_bytes: this.cache.maxBytes,
      cache_hit_rate: Math.round(this.cache.hitRate() * 10_000) / 10_000,
      cache_hits: this.cache.hits,
      cache_misses: this.cache.misses,
      cache_builds: this.cache.builds,
      indexed_files: this.index?.totals().total_files ?? 0,
    };
  }

  /** `/health` `checks.watcher`. */
  watcherStatus(): 'ok' | 'degraded' | 'disabled' {
    return this.watcherReport().status;
  }

  /** Watcher details: phase, reason, watched directories, index mode and size. */
  watcherReport(): WatcherStatusReport {
    const phase: WatcherStatus = this.watcher ? (this.watcher.status === 'ok' && !this.watcherVerified ? 'starting' : this.watcher.status) : 'disabled';
    const status = phase === 'degraded' ? 'degraded' : phase === 'disabled' ? 'disabled' : 'ok';
    const reason = this.watcher?.statusReason;
    return {
      status,
      phase,
      ...(reason ? { reason } : !this.watchEnabled ? { reason: 'watching disabled (--no-watch)' } : {}),
      watched_directories: this.watcher?.watchCount ?? 0,
      index_mode: this.index?.mode ?? null,
      indexed_files: this.index?.totals().total_files ?? 0,
      index_version: this.index?.version ?? 0,
      watch_ready_ms: this.watcher?.readyMs ? Math.round(this.watcher.readyMs) : null,
      ttl_ms: this.cfg.ttl_ms,
    };
  }

  /** Resolves when the initial code search index is built (tests, benchmarks). */
  async searchIndexBuilt(): Promise<SearchIndexStatus | null> {
    await this.start();
    await this.search?.whenBuilt();
    return this.search?.status() ?? null;
  }

  /** Size of the code search index: files, terms and the search thread's heap. */
  async searchIndexStats(): Promise<{ docs: number; terms: number; heapUsedBytes: number } | null> {
    if (!this.searchPool) return null;
    const { ok: _ok, ...stats } = await this.searchPool.stats(this.realRoot);
    return stats;
  }

  /** Wait until every file event seen so far has been applied (tests, benchmarks). */
  async settle(): Promise<void> {
    await this.watcher?.flush();
    if (this.rescanning) await this.rescanning;
  }

  /** Stop the watcher, publish pending events and stop the worker pool. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.verifyTimer) clearTimeout(this.verifyTimer);
    this.git?.close();
    await this.watcher?.close();
    // The last change before shutdown must reach the bus before the bus closes (shutdown-list.ts).
    await this.events.flush();
    if (this.rescanning) await this.rescanning.catch(() => undefined);
    this.search?.stop();
    await Promise.all([this.pool?.close(), this.searchPool?.close()]);
  }
}

/**
 * Build the context engine. Nothing runs until `start()` (or the first `getContext`).
 *
 * @example
 * const contexts = createContextService({ config, publish: (e) => bus.publish(e), previousOutputs });
 * await contexts.start();
 */
export function createContextService(deps: ContextServiceDeps): ContextService {
  return new ContextService(deps);
}
