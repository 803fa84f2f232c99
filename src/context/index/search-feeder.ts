import type { PathRulesOptions } from '../files/path-rules.js';
import type { ComponentLogger as Logger } from '../../logging/component-logger.js';
import type { SearchPool } from '../pool/search-pool.js';
import type { SearchSuccess } from '../pool/search-protocol.js';
import type { SnapshotBuffers } from '../pool/worker-protocol.js';
import type { SearchQuery } from '../worker/search/search-index.js';
import type { AppliedChange } from './project-index.js';

/** What a context says about the search index it was ranked with. */
export interface SearchIndexStatus {
  state: 'building' | 'ready' | 'failed';
  indexed_files: number;
  total_files: number;
}

/** Files per slice of the initial build: a search waits for at most one slice (~100–300 ms). */
const SLICE = 200;

/**
 * Keeps the search worker's index in step with the project index: builds it in the background
 * slice by slice after the scan, then forwards every applied change (a one-file edit re-indexes
 * that file only). Searches run against whatever is indexed so far; `status` says how far.
 */
export class SearchFeeder {
  private readonly pool: SearchPool;
  private readonly base: { realRoot: string; rules: PathRulesOptions; maxFileBytes: number };
  private readonly logger: Logger;
  private total = 0;
  private done = 0;
  private state: SearchIndexStatus['state'] = 'building';
  private building: Promise<void> | null = null;
  private stopped = false;

  private readonly onReady: () => void;

  constructor(opts: { pool: SearchPool; realRoot: string; rules: PathRulesOptions; maxFileBytes: number; logger: Logger; onReady?: () => void }) {
    this.pool = opts.pool;
    this.onReady = opts.onReady ?? (() => undefined);
    this.base = { realRoot: opts.realRoot, rules: opts.rules, maxFileBytes: opts.maxFileBytes };
    this.logger = opts.logger;
  }

  /** Start the initial build from a scanned snapshot (returns at once; `whenBuilt` waits). */
  build(snapshot: SnapshotBuffers): void {
    if (this.building) return;
    this.total = snapshot.count;
    this.building = (async () => {
      const t0 = performance.now();
      for (let from = 0; from < snapshot.count && !this.stopped; from += SLICE) {
        await this.pool.index({ op: 'slice', ...this.base, snapshot, from, count: SLICE });
        this.done = Math.min(snapshot.count, from + SLICE);
      }
      if (this.stopped) return;
      this.state = 'ready';
      this.onReady();
      this.logger.info({ files: snapshot.count, ms: Math.round(performance.now() - t0) }, 'search index built');
    })().catch((err: unknown) => {
      if (this.stopped) return;
      this.state = 'failed';
      this.logger.error({ err }, 'search index build failed');
    });
  }

  /** Resolves when the initial build has finished (or failed). */
  async whenBuilt(): Promise<void> {
    await this.building;
  }

  /** Forward changes applied to the project index (watcher events, rescan diffs). */
  apply(changes: readonly AppliedChange[]): Promise<void> {
    if (changes.length === 0 || this.stopped) return Promise.resolve();
    const removed = changes.filter((c) => c.kind === 'unlink').map((c) => c.path);
    const paths = changes.filter((c) => c.kind !== 'unlink' && (c.size ?? 0) <= this.base.maxFileBytes).map((c) => c.path);
    // Too large now: drop what an earlier version indexed.
    for (const c of changes) if (c.kind !== 'unlink' && (c.size ?? 0) > this.base.maxFileBytes) removed.push(c.path);
    if (this.state === 'building') this.total += changes.filter((c) => c.kind === 'add').length;
    return this.pool.index({ op: 'update', ...this.base, paths, removed }).then(
      () => undefined,
      (err: unknown) => this.logger.warn({ err }, 'search index update failed'),
    );
  }

  search(query: SearchQuery, limit: number, definitionsOf: string[] = []): Promise<SearchSuccess> {
    return this.pool.search({ op: 'search', realRoot: this.base.realRoot, query, limit, definitionsOf });
  }

  /** Definitions of these files from the index (files not indexed are absent). */
  async definitions(paths: string[]): Promise<Record<string, import('../worker/search/definitions.js').Definition[]>> {
    const res = await this.pool.search({
      op: 'search',
      realRoot: this.base.realRoot,
      query: { words: [], identifiers: [], files: [] },
      limit: 0,
      definitionsOf: paths,
    });
    return res.definitions;
  }

  status(): SearchIndexStatus {
    return { state: this.state, indexed_files: this.state === 'ready' ? this.total : this.done, total_files: this.total };
  }

  stop(): void {
    this.stopped = true;
  }
}
