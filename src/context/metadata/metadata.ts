import { PARSED_MANIFEST_FILES, ROOT_REQUIREMENTS_FILES } from '../files/manifest-names.js';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  isParsedManifest,
  parseCobertura,
  parseIstanbulSummary,
  parseLcov,
  parseManifest,
  parseVersionFile,
  type Coverage,
  type Dependency,
  type ManifestInfo,
} from './manifest-parsers.js';
import { readContainedFile } from '../files/safe-read.js';

/** `context.metadata` of the wire contract (optional fields appear only when known). */
export interface ProjectMetadata {
  project_type: string;
  project_types: string[];
  dependencies: Dependency[];
  node_version?: string;
  python_version?: string;
  go_version?: string;
  rust_version?: string;
  java_version?: string;
  php_version?: string;
  ruby_version?: string;
  test_coverage?: Coverage & { generated_at: string };
}

const VERSION_FILES = [
  '.nvmrc',
  '.node-version',
  '.python-version',
  'runtime.txt',
  '.ruby-version',
  '.java-version',
  '.go-version',
  'rust-toolchain',
  'rust-toolchain.toml',
  '.tool-versions',
];
const COVERAGE_FILES = [
  'coverage/coverage-summary.json',
  'coverage-summary.json',
  'coverage/lcov.info',
  'coverage/lcov/lcov.info',
  'lcov.info',
  'coverage/cobertura-coverage.xml',
  'coverage.xml',
  'coverage/coverage.xml',
  'cobertura.xml',
  'target/site/cobertura/coverage.xml',
  'build/reports/cobertura/coverage.xml',
];
/** Root manifests are read whether or not the index holds them (a gitignored manifest still describes the project). */
const ROOT_MANIFESTS = [...PARSED_MANIFEST_FILES, ...ROOT_REQUIREMENTS_FILES];
const MAX_MANIFEST_BYTES = 2 * 1024 * 1024;
const MAX_DEPENDENCIES = 1000;

/** Is this path one whose change can change the metadata? */
export function affectsMetadata(rel: string): boolean {
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  return isParsedManifest(rel) || VERSION_FILES.includes(base) || COVERAGE_FILES.includes(rel) || base === 'tsconfig.json';
}

/**
 * Project metadata, cached by the stat signature of every file it reads (manifests from the
 * index up to two levels deep, version files, coverage reports). The signature is re-checked
 * at most every `recheckMs` (coverage reports usually live in ignored directories the watcher
 * does not see) or at once after `markDirty()`.
 */
export class MetadataProvider {
  private readonly realRoot: string;
  private readonly recheckMs: number;
  private signature = '';
  private value: ProjectMetadata | null = null;
  private checkedAt = 0;
  private dirty = true;
  private inflight: Promise<ProjectMetadata> | null = null;
  /** Bumped whenever the value changes. */
  version = 0;

  constructor(opts: { realRoot: string; recheckMs: number }) {
    this.realRoot = opts.realRoot;
    this.recheckMs = opts.recheckMs;
  }

  markDirty(): void {
    this.dirty = true;
  }

  /**
   * `manifests`: manifest paths the index holds (depth ≤ 2). `languages`: by_language counts,
   * used for project types when no manifest names one.
   */
  async get(manifests: readonly string[], languages: Record<string, number>, opts: { background?: boolean } = {}): Promise<ProjectMetadata> {
    if (this.value && !this.dirty && Date.now() - this.checkedAt < this.recheckMs) return this.value;
    this.inflight ??= this.refresh(manifests, languages).finally(() => {
      this.inflight = null;
    });
    // Watched manifests mark the provider dirty (then the caller waits); the periodic recheck
    // for files the watcher cannot see (coverage reports in ignored dirs) runs in the
    // background when `background` is set, so a cached answer never waits for ~30 lstat calls.
    if (this.value && !this.dirty && opts.background) {
      this.inflight.catch(() => undefined);
      return this.value;
    }
    return this.inflight;
  }

  private async refresh(manifests: readonly string[], languages: Record<string, number>): Promise<ProjectMetadata> {
    this.dirty = false;
    this.checkedAt = Date.now();
    const candidates = [...new Set([...ROOT_MANIFESTS, ...manifests.filter(isParsedManifest), ...VERSION_FILES, ...COVERAGE_FILES])];
    const stats = await Promise.all(
      candidates.map((rel) =>
        fsp.lstat(path.join(this.realRoot, rel)).then(
          (s) => (s.isFile() ? s : null),
          () => null,
        ),
      ),
    );
    const present = candidates.filter((_, i) => stats[i]);
    const signature =
      present
        .map((rel) => {
          const s = stats[candidates.indexOf(rel)]!;
          return `${rel}:${s.size}:${s.mtimeMs}`;
        })
        .join('|') + `|${JSON.stringify(languages)}`;
    this.checkedAt = Date.now();
    if (this.value && signature === this.signature) return this.value;
    const texts = new Map<string, string>();
    await Promise.all(
      present.map(async (rel) => {
        const r = await readContainedFile(this.realRoot, rel, MAX_MANIFEST_BYTES);
        if (r.ok) texts.set(rel, r.data.toString('utf8'));
      }),
    );
    this.value = build(present, texts, stats, candidates, languages);
    this.signature = signature;
    this.version++;
    return this.value;
  }
}

const TYPE_BY_LANGUAGE: Record<string, string> = {
  typescript: 'typescript',
  javascript: 'node',
  python: 'python',
  go: 'go',
  rust: 'rust',
  java: 'java',
  kotlin: 'kotlin',
  ruby: 'ruby',
  php: 'php',
  csharp: 'dotnet',
  cpp: 'cpp',
  c: 'c',
  swift: 'swift',
  dart: 'dart',
  elixir: 'elixir',
  scala: 'scala',
};

function build(
  present: string[],
  texts: Map<string, string>,
  stats: Array<import('node:fs').Stats | null>,
  candidates: string[],
  languages: Record<string, number>,
): ProjectMetadata {
  const types: string[] = [];
  const deps: Dependency[] = [];
  const versions: ManifestInfo['versions'] = {};
  const addType = (t: string): void => {
    if (!types.includes(t)) types.push(t);
  };
  // Root manifests first (they name the primary type), then nested ones by depth.
  const manifests = present.filter(isParsedManifest).sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
  for (const rel of manifests) {
    const text = texts.get(rel);
    if (text === undefined) continue;
    const info = parseManifest(rel, text);
    if (!info) continue;
    info.projectTypes.forEach(addType);
    for (const d of info.dependencies) if (deps.length < MAX_DEPENDENCIES) deps.push(d);
    for (const [k, v] of Object.entries(info.versions)) if (!rel.includes('/')) (versions as Record<string, string>)[k] ??= v;
  }
  for (const rel of present.filter((r) => VERSION_FILES.includes(r))) {
    const text = texts.get(rel);
    if (text === undefined) continue;
    for (const [k, v] of Object.entries(parseVersionFile(rel, text))) (versions as Record<string, string>)[k] ??= v;
  }
  if ((languages.typescript ?? 0) > 0 && types.includes('node')) addType('typescript');
  // Languages with a real share of the files but no manifest still make the project that type.
  const totalFiles = Object.values(languages).reduce((a, b) => a + b, 0);
  for (const [lang, n] of Object.entries(languages).sort((a, b) => b[1] - a[1])) {
    const t = TYPE_BY_LANGUAGE[lang];
    if (t && n >= Math.max(1, totalFiles * 0.05)) addType(t === 'typescript' && !types.includes('node') ? 'typescript' : t);
  }
  const meta: ProjectMetadata = { project_type: types[0] ?? 'unknown', project_types: types, dependencies: deps, ...versions };
  let best: { cov: Coverage; mtime: number } | null = null;
  for (const rel of present.filter((r) => COVERAGE_FILES.includes(r))) {
    const text = texts.get(rel);
    if (text === undefined) continue;
    const cov = rel.endsWith('.json') ? parseIstanbulSummary(text, rel) : rel.endsWith('.info') ? parseLcov(text, rel) : parseCobertura(text, rel);
    const mtime = stats[candidates.indexOf(rel)]?.mtimeMs ?? 0;
    if (cov && (!best || mtime > best.mtime)) best = { cov, mtime };
  }
  if (best) meta.test_coverage = { ...best.cov, generated_at: new Date(best.mtime).toISOString() };
  return meta;
}
