/**
 * The code search index on the 50k-file synthetic tree (issue 9 items 2 and 7): time to build it
 * in the background after the scan, the search thread's heap once built (the memory figure in
 * bench/RESULTS.md), the main thread's event-loop lag while it builds (target p99 < 20 ms), and
 * the time of an issue context once it is ready.
 */
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { configFor } from '../src/config/load-config.js';
import { createContextService } from '../src/context/index.js';
import type { IssueRecord } from '../src/issues/issue-record.js';
import { BENCH_TMP, ensureTree, machine, percentile, round } from './context-lib/synthetic-tree.js';

const tree = ensureTree({ name: 'context-50k', files: 50_000, nodeModules: 20_000 });
const issue: IssueRecord = {
  issue_id: 'BENCH-S',
  project_id: 'bench',
  title: 'handler42 returns the wrong value for area3',
  description: 'Calling `value42()` in mod4 fails; see part2.',
  labels: [],
  files: [],
  acceptance: null,
  created_at: new Date().toISOString(),
  updated_at: new Date().toISOString(),
  revision: 1,
};
const svc = createContextService({
  config: configFor({ project_root: tree.root, storage_path: path.join(BENCH_TMP, 'context-storage-search'), project_id: 'bench', log_level: 'silent' }),
  watch: false,
  issues: async () => issue,
});
const lag = monitorEventLoopDelay({ resolution: 5 });
const t0 = performance.now();
await svc.start();
const scanMs = performance.now() - t0;
lag.enable();
// A context asked for while the index builds: ranked by what is ready, and it says so.
const during = await svc.getContext({ issue_id: 'BENCH-S', agent_type: 'typescript-specialist' });
const status = await svc.searchIndexBuilt();
lag.disable();
const buildMs = performance.now() - t0 - scanMs;
const global = globalThis as { gc?: () => void };
global.gc?.();
const stats = await svc.searchIndexStats();
const times: number[] = [];
for (let i = 0; i < 20; i++) {
  const t1 = performance.now();
  await svc.getContext({ issue_id: 'BENCH-S', agent_type: 'typescript-specialist', refresh: true });
  times.push(performance.now() - t1);
}
times.sort((a, b) => a - b);
await svc.close();
console.log(
  JSON.stringify({
    bench: 'context-search-index',
    machine: machine(),
    files: tree.files,
    scan_ms: round(scanMs),
    index_build_ms: round(buildMs),
    index_state: status?.state,
    indexed_docs: stats?.docs,
    distinct_terms: stats?.terms,
    search_thread_heap_mb: stats ? round(stats.heapUsedBytes / 2 ** 20) : null,
    context_during_build: during.context.search_index,
    lag_during_build_p99_ms: round(lag.percentile(99) / 1e6),
    lag_during_build_max_ms: round(lag.max / 1e6),
    issue_context_ms_p50: percentile(times, 50),
    issue_context_ms_p99: percentile(times, 99),
  }),
);
