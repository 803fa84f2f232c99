import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { ContextBudgetError, ContextGenerationError, ValidationError } from '../../errors/index.js';
import { isSafeId } from '../../util/ids.js';
import { resolveProfile, type AgentProfile } from '../ranking/agent-profiles.js';
import type { Strategy } from '../ranking/budget.js';
import { parseContextConfig, MAX_CONTEXT_BYTES_CAP, type ContextConfig } from './context-config.js';
import { ContextCache, type ClearResult } from '../cache/context-cache.js';
import type { ContextRequest, ContextResponse, FilesChangedEvent, PreviousAgentOutput } from './context-types.js';
import { classify } from '../files/file-kinds.js';
import { GitState, type GitSnapshot } from '../git/git-context.js';
import { affectsMetadata, MetadataProvider } from '../metadata/metadata.js';
import { PathRules } from '../files/path-rules.js';
import { ProjectIndex, type AppliedChange } from '../index/project-index.js';
import { ProjectWatcher, type WatcherStatus } from '../watch/project-watcher.js';
import { prepareSignals, ProfileScorer, queryTerms, type PreparedSignals } from '../ranking/ranking.js';
import { ContextPool, silentLogger, type Logger } from '../pool/scan-pool.js';
import type { BackendHandlers, WatchBackend } from '../watch/watch-backends.js';
import type { BuildSuccess } from '../pool/worker-protocol.js';

/** Event shape handed to the injected publisher (the bus adds ids, timestamps, …). */
export interface PublishInput {
  event_type: string;
  topic: string;
  data: Record<string, unknown>;
}

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

interface Entry {
  key: string;
  issueId: string;
  bytes: number;
  profile: AgentProfile;
  signals: PreparedSignals;
  built: BuildSuccess;
  included: Set<string>;
  listed: Set<string>;
  considered: Set<string>;
  previous: PreviousAgentOutput[];
  gitEpoch: number;
  strategy: Strategy;
  maxBytes: number;
  /** Changes applied while this entry was being built (checked before it is stored). */
  changesSeen?: AppliedChange[];
  /** False when the provisional git signals it was ranked with turned out wrong. */
  signalsHeld?: boolean;
}

interface ActiveBuild {
  changes: AppliedChange[];
}

const COMPACT_AFTER = 5000;
/** Commits fetched once per HEAD; profiles list up to their `requirements.recent_commits`. */
const RECENT_COMMITS = 30;
const EVENT_MAX_PATHS = 500;
const EVENT_MAX_WAIT_MS = 1000;

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
  private watcher: ProjectWatcher | null = null;
  private git!: GitState;
  private metadata!: MetadataProvider;
  private readonly cache: ContextCache<Entry>;
  private readonly previous = new Map<string, Promise<PreviousAgentOutput[]>>();
  private readonly profiles = new Map<string, AgentProfile>();
  private readonly scorers = new Map<string, ProfileScorer>();
  private readonly activeBuilds = new Set<ActiveBuild>();
  private readonly jsonSizes = new WeakMap<object, number>();
  private gitEpoch = 0;
  private requestsInFlight = 0;
  private started: Promise<void> | null = null;
  private rescanning: Promise<void> | null = null;
  private changesDuringScan: AppliedChange[] | null = null;
  private pendingEvent = new Map<string, 'add' | 'change' | 'unlink'>();
  private eventTimer: NodeJS.Timeout | null = null;
  private eventFirstAt = 0;
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
    const params = this.validate(req);
    await this.start();
    if (this.closed) throw new ContextGenerationError('Context engine is shutting down');
    await this.ensureFresh();
    // HEAD/index first (cheap; a commit or checkout starts a new epoch and drops the cache).
    await this.gitCheck();
    const profile = params.profile;
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
      () => this.build(params, profile),
      (v) => this.storable(v),
    );
    return this.assemble(value, await this.gitSettled(), false, t0);
  }

  private validate(req: ContextRequest) {
    const issues: Array<{ path: string; message: string }> = [];
    if (!isSafeId(req.issue_id)) issues.push({ path: 'issue_id', message: 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' });
    if (!isSafeId(req.agent_type)) issues.push({ path: 'agent_type', message: 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' });
    if (req.max_bytes !== undefined && (!Number.isInteger(req.max_bytes) || req.max_bytes < 1)) issues.push({ path: 'max_bytes', message: 'must be a positive integer' });
    if (req.max_files !== undefined && (!Number.isInteger(req.max_files) || req.max_files < 1 || req.max_files > 1000)) issues.push({ path: 'max_files', message: 'must be an integer from 1 to 1000' });
    if (req.strategy !== undefined && !['smart', 'file_sampling', 'none'].includes(req.strategy)) issues.push({ path: 'strategy', message: 'must be smart, file_sampling or none' });
    if (req.q !== undefined && (typeof req.q !== 'string' || req.q.length > 512)) issues.push({ path: 'q', message: 'must be at most 512 characters' });
    if (issues.length > 0) throw new ValidationError('Invalid context request', issues);
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
      if (this.profiles.size > 2000) this.profiles.delete(this.profiles.keys().next().value!);
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

  private async build(params: ReturnType<ContextService['validate']>, profile: AgentProfile): Promise<Entry> {
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
      const signals = {
        issueFiles: [...issueFiles],
        uncommitted: gitSignals?.uncommitted ?? [],
        recentCommitFiles: gitSignals?.recentCommitFiles ?? [],
        queryTerms: queryTerms(params.q),
        now: Date.now(),
      };
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
      });
      await settled;
      // Stored only if git confirmed the guess about which edited paths are uncommitted.
      const signalsHeld = gitSignals === null || this.git.provisionalHolds(gitSignals);
      this.logger.debug({ agent_type: params.agentType, timings: built.timings }, 'context built');
      let bytes = built.contentBytes + 512;
      for (const f of built.relevantFiles) bytes += f.path.length + f.reason.length + 160;
      for (const f of built.files) bytes += f.length + 4;
      for (const d of built.directories) bytes += d.length + 4;
      bytes += this.jsonSize(previous);
      const entry: Entry = {
        key: params.key,
        issueId: params.issueId,
        bytes,
        profile,
        signals: prepareSignals(signals),
        built,
        included: new Set(built.relevantFiles.map((f) => f.path)),
        listed: new Set(built.files),
        considered: new Set(built.considered),
        previous,
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
        : seen.some((c) => this.affects(entry, c)) ? 'a file it depends on changed while it was built' : null;
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
    const tokens = Math.ceil((e.built.contentBytes + listChars + this.jsonSize(git) + this.jsonSize(metadata) + this.jsonSize(e.previous)) / 4);
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

  /**
   * Can this change alter this cached answer? True when the file is in it (content, or read
   * and rejected), when project_structure.files would change (add/unlink), or when the file
   * would now rank into the selection.
   */
  private affects(e: Entry, c: AppliedChange): boolean {
    const p = c.path;
    if (e.included.has(p) || e.considered.has(p)) return true;
    const scorer = this.scorerFor(e.profile);
    const { kinds, languageId, depth } = classify(p);
    const st = scorer.staticScore(p, kinds, languageId, depth);
    if (c.kind !== 'change') {
      if (!e.built.filesTruncated) return true;
      if (c.kind === 'unlink') return e.listed.has(p);
      let listKey = st === -Infinity ? -1e9 : st;
      const lower = p.toLowerCase();
      if (e.signals.issueFiles.has(p)) listKey += e.profile.weights.issue_files;
      const hits = e.signals.queryTerms.filter((t) => lower.includes(t)).length;
      listKey += e.profile.weights.query * Math.min(hits, 3);
      if (listKey >= e.built.listCutoff) return true;
    }
    if (st === -Infinity) return false;
    // An edited file is about to show up as uncommitted: score it as such.
    let total = st + scorer.dynamicScore(p, p.toLowerCase(), c.mtimeMs ?? Date.now(), e.signals);
    if (!e.signals.uncommitted.has(p)) total += e.profile.weights.uncommitted;
    if (total <= 0) return false;
    return e.built.selectionOpen || total >= e.built.selectionCutoff;
  }

  private onChanges(changes: AppliedChange[]): void {
    if (this.closed || changes.length === 0) return;
    if (this.changesDuringScan) this.changesDuringScan.push(...changes);
    this.invalidate(changes);
    this.git.notePathsChanged(changes.map((c) => c.path));
    if (changes.some((c) => affectsMetadata(c.path))) this.metadata.markDirty();
    this.queueEvent(changes);
    if (changes.some((c) => this.index.isIgnoreFile(c.path))) void this.rescan('.gitignore changed').catch((err) => this.logger.error({ err }, 'rescan failed'));
    else if (this.index.overlaySize > COMPACT_AFTER) void this.rescan('compaction').catch((err) => this.logger.error({ err }, 'rescan failed'));
  }

  private invalidate(changes: AppliedChange[]): void {
    for (const b of this.activeBuilds) b.changes.push(...changes);
    // New requests must not join a build that started before these changes.
    if (this.activeBuilds.size > 0) this.cache.markInflightStale();
    let removed = 0;
    for (const [key, e] of [...this.cache.entries()]) {
      if (changes.some((c) => this.affects(e, c))) {
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
        this.invalidate(diff);
        this.git.notePathsChanged(diff.map((c) => c.path));
        if (diff.some((c) => affectsMetadata(c.path))) this.metadata.markDirty();
        this.queueEvent(diff);
      }
      this.watcher?.syncDirectories();
      this.logger.debug({ reason, changes: diff.length, ms: Math.round(performance.now() - t0) }, 'project rescanned');
    })().finally(() => {
      this.rescanning = null;
    });
    return this.rescanning;
  }

  private queueEvent(changes: AppliedChange[]): void {
    if (!this.deps.publish) return;
    for (const c of changes) {
      // Net effect within one debounce window: add+change = add, add+unlink = nothing,
      // unlink+add = change.
      const prev = this.pendingEvent.get(c.path);
      if (prev === 'add' && c.kind === 'change') continue;
      if (prev === 'add' && c.kind === 'unlink') this.pendingEvent.delete(c.path);
      else if (prev === 'unlink' && c.kind === 'add') this.pendingEvent.set(c.path, 'change');
      else this.pendingEvent.set(c.path, c.kind);
    }
    const now = Date.now();
    if (!this.eventTimer) this.eventFirstAt = now;
    if (this.eventTimer) clearTimeout(this.eventTimer);
    const wait = Math.max(0, Math.min(this.cfg.debounce_ms, this.eventFirstAt + EVENT_MAX_WAIT_MS - now));
    this.eventTimer = setTimeout(() => this.flushEvent(), wait);
    this.eventTimer.unref();
  }

  private flushEvent(): void {
    if (this.eventTimer) clearTimeout(this.eventTimer);
    this.eventTimer = null;
    if (this.pendingEvent.size === 0 || !this.deps.publish) return;
    const all = [...this.pendingEvent].map(([p, kind]) => ({ path: p, kind }));
    this.pendingEvent = new Map();
    const listed = all.slice(0, EVENT_MAX_PATHS);
    const event: FilesChangedEvent = {
      event_type: 'files_changed',
      topic: 'coordination',
      data: { project_id: this.projectId, paths: listed.map((c) => c.path), changes: listed, count: all.length, truncated: all.length > listed.length },
    };
    try {
      const r = this.deps.publish(event as unknown as PublishInput);
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).catch((err) => this.logger.warn({ err }, 'files_changed publish failed'));
    } catch (err) {
      this.logger.warn({ err }, 'files_changed publish failed');
    }
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
    this.flushEvent();
    if (this.rescanning) await this.rescanning.catch(() => undefined);
    await this.pool?.close();
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
