/**
 * Issue registry (spec §6) over the file repository, in process: what a write costs with durable
 * storage (one revision file: temp file, fsync, rename, fsync dir), what reopening after a restart
 * costs, how much heap the in-memory heads take, and the context engine's lookup (on every
 * context request) and a list page.
 *
 * Run alone: `npx tsc -p . && node dist/bench/issue-registry.js` (prints one JSON line last).
 * Env: BENCH_ISSUES (default 1000), BENCH_DESCRIPTION_BYTES (default 2048).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileIssueRepository } from '../src/issues/file-issue-repository.js';
import { IssueRegistry } from '../src/issues/issue-registry.js';

const N = Number(process.env.BENCH_ISSUES ?? 1000);
const DESCRIPTION_BYTES = Number(process.env.BENCH_DESCRIPTION_BYTES ?? 2048);

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const dir = await mkdtemp(path.join(os.tmpdir(), 'cco-bench-issues-'));
try {
  const description = 'lorem ipsum '.repeat(Math.ceil(DESCRIPTION_BYTES / 12)).slice(0, DESCRIPTION_BYTES);
  let registry = new IssueRegistry(await FileIssueRepository.open({ storagePath: dir }));
  const putTimes: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await registry.put('bench', `ISSUE-${i}`, { title: `Issue ${i}`, description, labels: [i % 2 ? 'odd' : 'even'], files: [`src/mod_${i}.py`] });
    putTimes.push(performance.now() - t);
  }
  putTimes.sort((a, b) => a - b);
  let t = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => registry.put('bench', `ISSUE-${i}`, { title: `Issue ${i} (revised)`, description })));
  const concurrentUpdatesMs = performance.now() - t;
  await registry.close();

  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  t = performance.now();
  const repository = await FileIssueRepository.open({ storagePath: dir });
  const reopenMs = performance.now() - t;
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
  registry = new IssueRegistry(repository);

  const lookups: number[] = [];
  for (let i = 0; i < 20 * N; i++) {
    const s = performance.now();
    await registry.lookup('bench', `ISSUE-${i % N}`);
    lookups.push(performance.now() - s);
  }
  lookups.sort((a, b) => a - b);
  t = performance.now();
  let pages = 0;
  let cursor: string | undefined;
  do {
    const page = await registry.list({ project_id: 'bench', limit: 50, ...(cursor ? { cursor } : {}) });
    cursor = page.next_cursor ?? undefined;
    pages++;
  } while (cursor);
  const pageMs = (performance.now() - t) / pages;
  await registry.close();

  console.log(
    JSON.stringify({
      issues: N,
      description_bytes: DESCRIPTION_BYTES,
      put_ms: { p50: round(quantile(putTimes, 0.5)), p99: round(quantile(putTimes, 0.99)) },
      concurrent_updates_ms: Math.round(concurrentUpdatesMs),
      reopen_ms: Math.round(reopenMs),
      heads_heap_mb: round(heapMb, 1),
      lookup_us: { p50: round(quantile(lookups, 0.5) * 1000, 1), p99: round(quantile(lookups, 0.99) * 1000, 1) },
      list_page_of_50_ms: round(pageMs),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
