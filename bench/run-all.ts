/**
 * `npm run bench`: runs every benchmark script in dist/bench (each prints one JSON summary on its
 * last stdout line) one after another — never in parallel, the machine has 2 cores — and writes
 * the collected figures to bench/.tmp/latest.json. Pass name fragments to run a subset:
 * `npm run bench -- events results`.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const filters = process.argv.slice(2);

function run(file: string): Promise<{ ok: boolean; summary: unknown; seconds: number; stderr: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, ['--expose-gc', file], { cwd: repo, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 }, (error, stdout, stderr) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      let summary: unknown = last;
      try {
        summary = JSON.parse(last);
      } catch {
        /* keep the raw line */
      }
      resolve({ ok: !error, summary, seconds: (Date.now() - started) / 1000, stderr: stderr.slice(-2000) });
    });
  });
}

const scripts = (await readdir(here))
  .filter((f) => f.endsWith('.js') && f !== 'run-all.js')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const results: Record<string, unknown> = {};
let failed = 0;
for (const script of scripts) {
  process.stderr.write(`== ${script}\n`);
  const r = await run(path.join(here, script));
  results[script.replace(/\.js$/, '')] = r.ok ? r.summary : { failed: true, stderr: r.stderr };
  if (!r.ok) failed++;
  process.stderr.write(`${JSON.stringify(r.summary, null, 2)}\n(${r.seconds.toFixed(1)} s${r.ok ? '' : ', FAILED'})\n`);
}
const out = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, mem_gb: Math.round(os.totalmem() / 2 ** 30) },
  at: new Date().toISOString(),
  results,
};
await mkdir(path.join(repo, 'bench', '.tmp'), { recursive: true });
await writeFile(path.join(repo, 'bench', '.tmp', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
process.stderr.write(`wrote bench/.tmp/latest.json (${scripts.length} scripts, ${failed} failed)\n`);
process.exitCode = failed > 0 ? 1 : 0;
