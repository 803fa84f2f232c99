import type { ClearResult } from '../cache/context-cache.js';
import type { AppliedChange } from '../index/project-index.js';
import { affectsMetadata } from '../metadata/metadata.js';
import { affects } from '../cache/context-entry.js';
import type { ContextState } from './context-state.js';

/** Past this many watcher changes on top of the last scan, the index is rebuilt by a rescan. */
const COMPACT_AFTER = 5000;

/**
 * What drops cached contexts: file changes (from the watcher or a rescan's diff), a new git
 * epoch, a stored result, and the cache-clearing routes.
 */
export class ContextInvalidation {
  constructor(
    private readonly s: ContextState,
    /** Owned by the lifecycle; a .gitignore change or a large overlay asks it for a rescan. */
    private readonly rescan: (reason: string) => Promise<void>,
  ) {}

  /** The watcher applied these changes to the index. */
  onChanges(changes: AppliedChange[]): void {
    const s = this.s;
    if (s.closed || changes.length === 0) return;
    if (s.changesDuringScan) s.changesDuringScan.push(...changes);
    this.propagate(changes);
    if (changes.some((c) => s.index.isIgnoreFile(c.path)))
      void this.rescan('.gitignore changed').catch((err: unknown) => s.logger.error({ err }, 'rescan failed'));
    else if (s.index.overlaySize > COMPACT_AFTER) void this.rescan('compaction').catch((err: unknown) => s.logger.error({ err }, 'rescan failed'));
  }

  /** Tell everything derived from the index about changed paths (watcher events and rescan diffs alike). */
  propagate(changes: AppliedChange[]): void {
    const s = this.s;
    // Queued on the search thread now, so the next build's search sees it.
    void s.search?.apply(changes);
    this.invalidate(changes);
    s.git.notePathsChanged(changes.map((c) => c.path));
    if (changes.some((c) => affectsMetadata(c.path))) s.metadata.markDirty();
    s.events.queue(changes);
  }

  private invalidate(changes: AppliedChange[]): void {
    const s = this.s;
    for (const b of s.activeBuilds) b.changes.push(...changes);
    // New requests must not join a build that started before these changes.
    if (s.activeBuilds.size > 0) s.cache.markInflightStale();
    let removed = 0;
    for (const [key, e] of [...s.cache.entries()]) {
      if (changes.some((c) => affects(e, c, s.scorerFor(e.profile)))) {
        s.cache.delete(key);
        removed++;
      }
    }
    if (removed > 0) s.logger.debug({ removed, changes: changes.length }, 'contexts invalidated');
  }

  onGitEpoch(epoch: number): void {
    this.s.gitEpoch = epoch;
    // HEAD or the index changed (commit, checkout, stage): every answer's git signals changed.
    this.s.cache.removeWhere(() => true);
    this.s.cache.markInflightStale();
  }

  /** A new result was stored for this issue: its contexts carry stale previous outputs. */
  invalidateIssue(issueId: string): void {
    this.s.previous.delete(issueId);
    this.s.cache.clearIssue(issueId);
  }

  /** DELETE /api/cache/context/:issue_id (the caller maps 0 entries to 404). */
  clearIssue(issueId: string): ClearResult {
    this.s.previous.delete(issueId);
    return this.s.cache.clearIssue(issueId);
  }

  /** DELETE /api/cache/all: contexts, previous outputs, and git facts are recomputed. */
  clearAll(): ClearResult {
    this.s.previous.clear();
    this.s.git?.reset();
    this.s.metadata?.markDirty();
    return this.s.cache.clearAll();
  }
}
