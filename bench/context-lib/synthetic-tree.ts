import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Synthetic project trees for the context benchmarks: `files` source files in a realistic mix
 * (TypeScript, Python, Go, tests, docs, configs; 10 files per directory, 3–5 levels deep) plus an
 * ignored `node_modules` of `nodeModules` files, committed to a git repository. Trees are cached
 * under bench/.tmp (a marker records the parameters) so every script reuses the same one.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const BENCH_TMP = path.resolve(here, '..', '..', '..', 'bench', '.tmp');

const KINDS = [
  {
    ext: 'ts',
    body: (i: number) =>
      `import { helper${i % 97} } from '../util/helper.js';\n\nexport function feature${i}(input: string): string {\n  // feature ${i}\n  return helper${i % 97}(input).trim();\n}\n`,
  },
  {
    ext: 'ts',
    body: (i: number) =>
      `export interface Model${i} {\n  id: string;\n  name: string;\n  createdAt: Date;\n}\n\nexport const defaults${i}: Partial<Model${i}> = { name: 'item-${i}' };\n`,
  },
  {
    ext: 'test.ts',
    body: (i: number) =>
      `import { feature${i} } from './feature.js';\n\ndescribe('feature ${i}', () => {\n  it('works', () => expect(feature${i}(' x ')).toBe('x'));\n});\n`,
  },
  {
    ext: 'py',
    body: (i: number) =>
      `"""Module ${i}."""\n\nimport os\n\n\ndef handler_${i}(event: dict) -> dict:\n    return {"id": ${i}, "env": os.environ.get("STAGE", "dev")}\n`,
  },
  { ext: 'go', body: (i: number) => `package pkg\n\n// Handler${i} handles requests.\nfunc Handler${i}(n int) int {\n\treturn n * ${i}\n}\n` },
  { ext: 'md', body: (i: number) => `# Notes ${i}\n\nThis document describes component ${i}.\n\n- one\n- two\n` },
  { ext: 'json', body: (i: number) => `${JSON.stringify({ id: i, name: `config-${i}`, enabled: i % 2 === 0 }, null, 2)}\n` },
  { ext: 'css', body: (i: number) => `.c${i} {\n  color: #${(i % 4096).toString(16).padStart(3, '0')};\n  margin: ${i % 16}px;\n}\n` },
  {
    ext: 'ts',
    body: (i: number) => `export const table${i} = [\n${Array.from({ length: 40 }, (_, k) => `  { k: ${k}, v: '${'v'.repeat(k % 30)}' },`).join('\n')}\n];\n`,
  },
  { ext: 'py', body: (i: number) => `def test_handler_${i}():\n    assert ${i} == ${i}\n` },
];

export interface TreeInfo {
  root: string;
  files: number;
  nodeModules: number;
  directories: number;
  generatedMs: number | null;
}

function sh(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', maxBuffer: 1 << 30 });
}

/**
 * Build (or reuse) a synthetic git repository.
 *
 * @example const tree = ensureTree({ name: 'context-50k', files: 50_000, nodeModules: 20_000 })
 */
export function ensureTree(opts: { name: string; files: number; nodeModules: number; base?: string }): TreeInfo {
  const root = path.join(opts.base ?? BENCH_TMP, opts.name);
  const marker = path.join(root, '.bench-tree.json');
  const want = JSON.stringify({ v: 2, files: opts.files, nodeModules: opts.nodeModules });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want) {
    // Undo edits a previous (interrupted) run may have left.
    execFileSync('git', ['checkout', '--', '.'], { cwd: root, stdio: 'ignore' });
    execFileSync('git', ['clean', '-fdq', '-e', '.bench-tree.json'], { cwd: root, stdio: 'ignore' });
    return { root, files: opts.files, nodeModules: opts.nodeModules, directories: countDirs(opts.files), generatedMs: null };
  }
  const t0 = performance.now();
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  let n = 0;
  const perDir = 10;
  const made = new Set<string>();
  for (let a = 0; n < opts.files; a++) {
    for (let b = 0; b < 10 && n < opts.files; b++) {
      for (let c = 0; c < 5 && n < opts.files; c++) {
        const dir = path.join(
          root,
          a % 3 === 0 ? 'packages' : a % 3 === 1 ? 'services' : 'src',
          `mod${a}`,
          `area${b}`,
          c % 2 === 0 ? `part${c}` : `part${c}/inner`,
        );
        if (!made.has(dir)) {
          mkdirSync(dir, { recursive: true });
          made.add(dir);
        }
        for (let f = 0; f < perDir && n < opts.files; f++, n++) {
          const kind = KINDS[n % KINDS.length]!;
          writeFileSync(path.join(dir, `file${f}.${kind.ext}`), kind.body(n));
        }
      }
    }
  }
  for (let i = 0; i < opts.nodeModules; i++) {
    const dir = path.join(root, 'node_modules', `dep${i % 400}`, 'lib');
    if (i < 400) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `f${i}.js`), `module.exports = ${i};\n`);
  }
  writeFileSync(path.join(root, '.gitignore'), 'node_modules/\n.bench-tree.json\n');
  writeFileSync(path.join(root, 'README.md'), '# Synthetic benchmark project\n');
  writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({ name: 'synthetic', dependencies: { koa: '^3.0.0' }, devDependencies: { typescript: '^5.9.0' } }, null, 2),
  );
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
  sh(root, 'config', 'user.name', 'Bench');
  sh(root, 'config', 'user.email', 'bench@example.com');
  sh(root, 'config', 'commit.gpgsign', 'false');
  sh(root, 'add', '-A');
  sh(root, 'commit', '-q', '-m', 'synthetic tree');
  writeFileSync(marker, want);
  return { root, files: opts.files, nodeModules: opts.nodeModules, directories: made.size, generatedMs: Math.round(performance.now() - t0) };
}

function countDirs(files: number): number {
  return Math.ceil(files / 10);
}

/** Machine facts recorded with every result (the box is shared: load matters). */
export function machine(): Record<string, unknown> {
  return { cpus: os.cpus().length, node: process.version, loadavg_1m: Math.round(os.loadavg()[0]! * 100) / 100 };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, idx)]! * 100) / 100;
}

export const round = (n: number): number => Math.round(n * 100) / 100;

// Runnable alone: `node dist/bench/context-lib/synthetic-tree.js` builds the 50k tree.
if (import.meta.url === `file://${process.argv[1]}`) {
  const info = ensureTree({ name: 'context-50k', files: 50_000, nodeModules: 20_000 });
  console.log(JSON.stringify({ ...info, machine: machine() }));
}
