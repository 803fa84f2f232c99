import type { ContextConfig } from './context-config.js';
import type { ClearResult } from '../cache/context-cache.js';
import type { ContextRequest, ContextResponse } from './context-types.js';
import type { SearchIndexStatus } from '../index/search-feeder.js';
import { ContextState, type ContextServiceDeps } from './context-state.js';
import { ContextInvalidation } from './context-invalidation.js';
import { ContextLifecycle } from './context-lifecycle.js';
import { ContextRequests } from './context-requests.js';
import { contextStats, searchIndexStats, watcherReport, type ContextStats, type WatcherStatusReport } from './context-stats.js';

export type { PublishInput } from '../watch/files-changed-events.js';
export type { ContextServiceDeps } from './context-state.js';
export type { ContextStats, WatcherStatusReport } from './context-stats.js';

/**
 * The context engine the server holds. See createContextService. A facade: the request path
 * (context-requests.ts → context-build.ts → context-response.ts), invalidation
 * (context-invalidation.ts), the index/watch lifecycle (context-lifecycle.ts) and the
 * introspection views (context-stats.ts) share one ContextState.
 */
export class ContextService {
  private readonly state: ContextState;
  private readonly invalidation: ContextInvalidation;
  private readonly lifecycle: ContextLifecycle;
  private readonly requests: ContextRequests;

  constructor(deps: ContextServiceDeps) {
    this.state = new ContextState(deps);
    // Invalidation asks for rescans, which the lifecycle owns; the lifecycle feeds it changes.
    this.invalidation = new ContextInvalidation(this.state, (reason) => this.lifecycle.rescan(reason));
    this.lifecycle = new ContextLifecycle(this.state, this.invalidation);
    this.requests = new ContextRequests(this.state, this.lifecycle);
  }

  /** The validated `context` config section. */
  get contextConfig(): ContextConfig {
    return this.state.cfg;
  }

  /**
   * Scan the project (in a worker), start the watcher and warm git facts. Idempotent; the
   * first getContext also awaits it.
   */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /**
   * The context for one agent on one issue (the exact 200 body of the spec).
   *
   * @example await service.getContext({ issue_id: 'ISSUE-1', agent_type: 'python-specialist' })
   */
  getContext(req: ContextRequest): Promise<ContextResponse> {
    return this.requests.getContext(req);
  }

  /** A new result was stored for this issue: its contexts carry stale previous outputs. */
  invalidateIssue(issueId: string): void {
    this.invalidation.invalidateIssue(issueId);
  }

  /** DELETE /api/cache/context/:issue_id (the caller maps 0 entries to 404). */
  clearIssue(issueId: string): ClearResult {
    return this.invalidation.clearIssue(issueId);
  }

  /** DELETE /api/cache/all: contexts, previous outputs, and git facts are recomputed. */
  clearAll(): ClearResult {
    return this.invalidation.clearAll();
  }

  stats(): ContextStats {
    return contextStats(this.state);
  }

  /** `/health` `checks.watcher`. */
  watcherStatus(): 'ok' | 'degraded' | 'disabled' {
    return this.watcherReport().status;
  }

  /** Watcher details: phase, reason, watched directories, index mode and size. */
  watcherReport(): WatcherStatusReport {
    return watcherReport(this.state);
  }

  /** Resolves when the initial code search index is built (tests, benchmarks). */
  searchIndexBuilt(): Promise<SearchIndexStatus | null> {
    return this.lifecycle.searchIndexBuilt();
  }

  /** Size of the code search index: files, terms and the search thread's heap. */
  searchIndexStats(): Promise<{ docs: number; terms: number; heapUsedBytes: number } | null> {
    return searchIndexStats(this.state);
  }

  /** Wait until every file event seen so far has been applied (tests, benchmarks). */
  settle(): Promise<void> {
    return this.lifecycle.settle();
  }

  /** Stop the watcher, publish pending events and stop the worker pool. Idempotent. */
  close(): Promise<void> {
    return this.lifecycle.close();
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
