import { LRUCache } from 'lru-cache';
import type { Config } from '../../config/schema.js';
import { resolveProfile, type AgentProfile } from '../ranking/agent-profiles.js';
import { parseContextConfig, type ContextConfig } from './context-config.js';
import { ContextCache } from '../cache/context-cache.js';
import type { PreviousAgentOutput } from './context-types.js';
import type { GitState } from '../git/git-context.js';
import type { MetadataProvider } from '../metadata/metadata.js';
import type { PathRules } from '../files/path-rules.js';
import type { ProjectIndex, AppliedChange } from '../index/project-index.js';
import type { ProjectWatcher } from '../watch/project-watcher.js';
import { ProfileScorer } from '../ranking/ranking.js';
import type { ContextPool } from '../pool/scan-pool.js';
import { silentLogger, type ComponentLogger as Logger } from '../../logging/component-logger.js';
import type { BackendHandlers, WatchBackend } from '../watch/watch-backends.js';
import type { Entry } from '../cache/context-entry.js';
import { FilesChangedEvents, type PublishInput } from '../watch/files-changed-events.js';
import type { IssueLookup } from '../../issues/issue-record.js';
import type { SearchPool } from '../pool/search-pool.js';
import type { SearchFeeder } from '../index/search-feeder.js';

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

/** A build in flight collects the changes applied while it runs (see `storable`). */
export interface ActiveBuild {
  changes: AppliedChange[];
}

/** Commits fetched once per HEAD; profiles list up to their `requirements.recent_commits`. */
export const RECENT_COMMITS = 30;

/**
 * The state one context engine's parts share: the request path, invalidation, the lifecycle
 * and introspection each read and write it, so it lives in one place rather than in any of them.
 * The index, pool, git and metadata exist once `start()` has scanned the project.
 */
export class ContextState {
  readonly deps: ContextServiceDeps;
  readonly cfg: ContextConfig;
  readonly logger: Logger;
  readonly root: string;
  readonly projectId: string;
  readonly watchEnabled: boolean;
  realRoot = '';
  rules!: PathRules;
  index!: ProjectIndex;
  pool: ContextPool | null = null;
  searchPool: SearchPool | null = null;
  search: SearchFeeder | null = null;
  watcher: ProjectWatcher | null = null;
  git!: GitState;
  metadata!: MetadataProvider;
  readonly cache: ContextCache<Entry>;
  readonly previous = new Map<string, Promise<PreviousAgentOutput[]>>();
  readonly profiles = new LRUCache<string, AgentProfile>({ max: 2000 });
  readonly scorers = new Map<string, ProfileScorer>();
  readonly activeBuilds = new Set<ActiveBuild>();
  readonly jsonSizes = new WeakMap<object, number>();
  gitEpoch = 0;
  requestsInFlight = 0;
  started: Promise<void> | null = null;
  rescanning: Promise<void> | null = null;
  changesDuringScan: AppliedChange[] | null = null;
  readonly events: FilesChangedEvents;
  verifyTimer: NodeJS.Timeout | null = null;
  watcherVerified = false;
  closed = false;

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

  profileFor(agentType: string): AgentProfile {
    let p = this.profiles.get(agentType);
    if (!p) {
      p = resolveProfile(agentType, this.cfg);
      this.profiles.set(agentType, p);
    }
    return p;
  }

  scorerFor(profile: AgentProfile): ProfileScorer {
    let s = this.scorers.get(profile.key);
    if (!s) {
      s = new ProfileScorer(profile);
      this.scorers.set(profile.key, s);
    }
    return s;
  }

  /** True when the watcher is trusted (the TTL does not apply). */
  watching(): boolean {
    return this.watcher !== null && this.watcher.status === 'ok' && this.watcherVerified;
  }

  /** JSON length of a response part, memoized per object (parts are shared across answers). */
  jsonSize(v: unknown): number {
    if (v === null || typeof v !== 'object') return 4;
    let n = this.jsonSizes.get(v);
    if (n === undefined) {
      n = JSON.stringify(v).length;
      this.jsonSizes.set(v, n);
    }
    return n;
  }
}
