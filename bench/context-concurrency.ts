/**
 * 119 concurrent fresh contexts (one per agent type of the roster, nothing cached) on a small
 * repository (400 files, git). Latency of each request from the start of the burst; target
 * p99 < 500 ms. Repeated for a second issue so the index and worker memos are warm but every
 * answer is still a cache miss. The first burst starts as soon as the watcher is verified.
 */
import path from 'node:path';
import { configFor } from '../src/config/load-config.js';
import { createContextService } from '../src/context/index.js';
import { ROSTER } from './context-lib/roster.js';
import { BENCH_TMP, ensureTree, machine, percentile, round } from './context-lib/synthetic-tree.js';

const tree = ensureTree({ name: 'context-small', files: 400, nodeModules: 200 });
const svc = createContextService({
  config: configFor({ project_root: tree.root, storage_path: path.join(BENCH_TMP, 'context-storage-small'), log_level: 'silent' }),
});
await svc.start();
// The default mode: watched (without a watcher every request older than the TTL rescans).
while (svc.watcherReport().phase !== 'ok') await new Promise((r) => setTimeout(r, 10));

async function burst(issue: string): Promise<{ latencies: number[]; wallMs: number; builds: number }> {
  const before = svc.stats().cache_builds;
  const t0 = performance.now();
  const latencies = await Promise.all(
    ROSTER.map(async (type) => {
      const r = await svc.getContext({ issue_id: issue, agent_type: type });
      if (r.cache_hit) throw new Error('expected a fresh context');
      return performance.now() - t0;
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), wallMs: performance.now() - t0, builds: svc.stats().cache_builds - before };
}

const cold = await burst('BENCH-C1');
const warm = await burst('BENCH-C2');
await svc.close();
const summary = (b: typeof cold) => ({
  requests: b.latencies.length,
  builds: b.builds,
  p50: percentile(b.latencies, 50),
  p99: percentile(b.latencies, 99),
  max: round(b.latencies[b.latencies.length - 1]!),
  wall_ms: round(b.wallMs),
});
console.log(
  JSON.stringify({
    bench: 'context-concurrency',
    tree: { files: tree.files, node_modules_files: tree.nodeModules },
    first_burst_after_start_ms: summary(cold),
    second_burst_ms: summary(warm),
    targets: { p99_ms: '< 500' },
    machine: machine(),
  }),
);
