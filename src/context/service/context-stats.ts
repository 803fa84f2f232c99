import type { WatcherStatus } from '../watch/project-watcher.js';
import type { ContextState } from './context-state.js';

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

// Read-only views of the engine for /health, /api/stats and benchmarks. Each works before
// `start()` (no index yet) and after `close()`.

export function contextStats(s: ContextState): ContextStats {
  return {
    context_cache_entries: s.cache.size,
    context_cache_bytes: s.cache.bytes,
    context_cache_max_bytes: s.cache.maxBytes,
    cache_hit_rate: Math.round(s.cache.hitRate() * 10_000) / 10_000,
    cache_hits: s.cache.hits,
    cache_misses: s.cache.misses,
    cache_builds: s.cache.builds,
    indexed_files: s.index?.totals().total_files ?? 0,
  };
}

/** Watcher details: phase, reason, watched directories, index mode and size. */
export function watcherReport(s: ContextState): WatcherStatusReport {
  const phase: WatcherStatus = s.watcher ? (s.watcher.status === 'ok' && !s.watcherVerified ? 'starting' : s.watcher.status) : 'disabled';
  const status = phase === 'degraded' ? 'degraded' : phase === 'disabled' ? 'disabled' : 'ok';
  const reason = s.watcher?.statusReason;
  return {
    status,
    phase,
    ...(reason ? { reason } : !s.watchEnabled ? { reason: 'watching disabled (--no-watch)' } : {}),
    watched_directories: s.watcher?.watchCount ?? 0,
    index_mode: s.index?.mode ?? null,
    indexed_files: s.index?.totals().total_files ?? 0,
    index_version: s.index?.version ?? 0,
    watch_ready_ms: s.watcher?.readyMs ? Math.round(s.watcher.readyMs) : null,
    ttl_ms: s.cfg.ttl_ms,
  };
}

/** Size of the code search index: files, terms and the search thread's heap. */
export async function searchIndexStats(s: ContextState): Promise<{ docs: number; terms: number; heapUsedBytes: number } | null> {
  if (!s.searchPool) return null;
  const { ok: _ok, ...stats } = await s.searchPool.stats(s.realRoot);
  return stats;
}
