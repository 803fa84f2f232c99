/**
 * Watcher on the 50k-file tree (5k+ directories): time to set the initial watches, extra RSS,
 * inotify watches held, and how late an unlink is seen. Three setups, each in its own process
 * so RSS is not shared: one plain `fs.watch` per directory (the reference), the `native`
 * backend, and the `chokidar` (4) backend, the latter two through the real ProjectWatcher on a
 * real index. Targets: ready ≤ 1 s, ≤ 100 MB extra RSS, unlink seen in < 20 ms.
 */
import { execFile } from 'node:child_process';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PathRules } from '../src/context/files/path-rules.js';
import { ProjectIndex, type AppliedChange } from '../src/context/index/project-index.js';
import { ProjectWatcher } from '../src/context/watch/project-watcher.js';
import { ContextPool } from '../src/context/pool/scan-pool.js';
import { ensureTree, machine, percentile, round } from './context-lib/synthetic-tree.js';

const UNLINKS = 20;

function inotifyWatches(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fdinfo')) {
    try {
      n += fs
        .readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify')).length;
    } catch {
      // fd closed meanwhile
    }
  }
  return n;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const rssMb = (): number => {
  gc();
  gc();
  return process.memoryUsage().rss / 1048576;
};

async function child(mode: string, root: string): Promise<Record<string, unknown>> {
  const rules = new PathRules({ defaultExcludes: true, exclude: [], secretFiles: [], storageRel: null });
  const index = new ProjectIndex(rules);
  const pool = new ContextPool({});
  const scan = await pool.scan({ root, realRoot: root, rules: rules.options, useGit: true });
  index.setScan(scan, Date.now());
  await pool.close();
  const dirs = [...index.directories];
  // Files to unlink: one per directory, spread over the tree.
  const victims: string[] = [];
  for (let i = 0; i < dirs.length && victims.length < UNLINKS; i += 97) {
    const d = dirs[i]!;
    const file = fs.readdirSync(path.join(root, d), { withFileTypes: true }).find((e) => e.isFile() && e.name.startsWith('file'));
    if (file) victims.push(d === '' ? file.name : `${d}/${file.name}`);
  }
  await new Promise((r) => setTimeout(r, 200));
  const rss0 = rssMb();
  const t0 = performance.now();
  let seen: ((rel: string) => void) | null = null;
  let close: () => Promise<void>;
  if (mode === 'fs.watch') {
    const watchers: fs.FSWatcher[] = [];
    for (const d of dirs) {
      watchers.push(fs.watch(path.join(root, d), { persistent: false }, (_e, name) => seen?.(d === '' ? String(name) : `${d}/${name}`)));
    }
    close = async () => watchers.forEach((w) => w.close());
  } else {
    const watcher = new ProjectWatcher({
      realRoot: root,
      index,
      backend: mode as 'native' | 'chokidar',
      onChanges: (changes: AppliedChange[]) => changes.forEach((c) => seen?.(c.path)),
      onRescanNeeded: () => undefined,
    });
    await watcher.start();
    if (watcher.status !== 'ok') throw new Error(`watcher ${watcher.status}: ${watcher.statusReason}`);
    close = () => watcher.close();
  }
  const readyMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 300));
  const rss1 = rssMb();
  const watches = inotifyWatches();
  const latencies: number[] = [];
  const saved = new Map<string, Buffer>();
  for (const rel of victims) {
    const abs = path.join(root, rel);
    saved.set(rel, await fsp.readFile(abs));
    const done = new Promise<number>((resolve) => {
      const t = performance.now();
      seen = (p) => {
        if (p === rel) resolve(performance.now() - t);
      };
      fs.unlinkSync(abs);
    });
    latencies.push(await Promise.race([done, new Promise<number>((r) => setTimeout(() => r(NaN), 2000))]));
    seen = null;
    await fsp.writeFile(abs, saved.get(rel)!);
    await new Promise((r) => setTimeout(r, 20));
  }
  await close();
  const ok = latencies.filter((l) => !Number.isNaN(l)).sort((a, b) => a - b);
  return {
    mode,
    directories: dirs.length,
    ready_ms: round(readyMs),
    extra_rss_mb: round(rss1 - rss0),
    inotify_watches: watches,
    unlink_ms: { n: latencies.length, seen: ok.length, p50: percentile(ok, 50), p99: percentile(ok, 99), max: round(ok[ok.length - 1] ?? NaN) },
  };
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await child(process.argv[3]!, process.argv[4]!)));
} else {
  const tree = ensureTree({ name: 'context-50k', files: 50_000, nodeModules: 20_000 });
  const self = fileURLToPath(import.meta.url);
  const results: unknown[] = [];
  for (const mode of ['fs.watch', 'native', 'chokidar']) {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--expose-gc', self, '--child', mode, tree.root], { maxBuffer: 1 << 24, timeout: 300_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(stderr || err.message)) : resolve(stdout),
      ),
    );
    results.push(JSON.parse(out.trim().split('\n').pop()!));
  }
  console.log(
    JSON.stringify({
      bench: 'context-watcher',
      tree: { files: tree.files, node_modules_files: tree.nodeModules },
      results,
      targets: { ready_ms: '<= 1000', extra_rss_mb: '<= 100', unlink_ms: '< 20' },
      machine: machine(),
    }),
  );
}
