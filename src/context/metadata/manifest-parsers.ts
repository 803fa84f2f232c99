import { isParsedManifest, manifestBase, PARSED_MANIFEST_FILES, REQUIREMENTS_PATTERN } from '../files/manifest-names.js';
import { XMLParser } from 'fast-xml-parser';
import { parse as parseToml } from 'smol-toml';

/**
 * Parsers for project manifests and coverage reports. Each takes the file text and returns
 * plain data; malformed input yields an empty result rather than an exception (a broken
 * manifest in the project must not break context generation).
 */

export interface Dependency {
  name: string;
  version: string;
  type: 'runtime' | 'dev' | 'peer' | 'optional' | 'build';
  ecosystem: 'npm' | 'pypi' | 'cargo' | 'go' | 'maven' | 'composer';
  manifest: string;
}

export interface ManifestInfo {
  projectTypes: string[];
  dependencies: Dependency[];
  versions: Partial<Record<'node_version' | 'python_version' | 'go_version' | 'rust_version' | 'java_version' | 'php_version' | 'ruby_version', string>>;
}

const empty = (): ManifestInfo => ({ projectTypes: [], dependencies: [], versions: {} });

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A TOML manifest's top-level table, or undefined when the text does not parse. */
function parseTomlObject(text: string): Record<string, unknown> | undefined {
  try {
    return parseToml(text);
  } catch {
    return undefined;
  }
}

/** A JSON manifest's top-level object, or undefined when the text is not one. */
function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const doc: unknown = JSON.parse(text);
    return isRecord(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

export function parsePackageJson(text: string, manifest: string): ManifestInfo {
  const info = empty();
  const doc = parseJsonObject(text);
  if (!doc) return info;
  info.projectTypes.push('node');
  const sections: Array<[string, Dependency['type']]> = [
    ['dependencies', 'runtime'],
    ['devDependencies', 'dev'],
    ['peerDependencies', 'peer'],
    ['optionalDependencies', 'optional'],
  ];
  for (const [key, type] of sections) {
    const deps = doc[key];
    if (!isRecord(deps)) continue;
    for (const [name, version] of Object.entries(deps)) {
      info.dependencies.push({ name, version: typeof version === 'string' ? version : JSON.stringify(version), type, ecosystem: 'npm', manifest });
    }
  }
  if (info.dependencies.some((d) => d.name === 'typescript')) info.projectTypes.push('typescript');
  const engines = doc.engines;
  if (isRecord(engines) && typeof engines.node === 'string') info.versions.node_version = engines.node;
  return info;
}

/** A PEP 508 requirement string → name + version spec. */
export function parsePep508(req: string): { name: string; version: string } | null {
  const noMarker = req.split(';')[0]!.trim();
  if (!noMarker || noMarker.startsWith('#')) return null;
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$/.exec(noMarker);
  if (!m) return null;
  let version = (m[3] ?? '').trim();
  if (version.startsWith('@')) version = version.slice(1).trim();
  return { name: m[1]!, version: version.replace(/^\((.*)\)$/, '$1') || '*' };
}

export function parsePyproject(text: string, manifest: string): ManifestInfo {
  const info = empty();
  const doc = parseTomlObject(text);
  if (!doc) return info;
  info.projectTypes.push('python');
  const add = (req: string, type: Dependency['type']): void => {
    const d = parsePep508(req);
    if (d) info.dependencies.push({ ...d, type, ecosystem: 'pypi', manifest });
  };
  const project = doc.project;
  if (isRecord(project)) {
    if (Array.isArray(project.dependencies)) for (const r of project.dependencies) if (typeof r === 'string') add(r, 'runtime');
    if (isRecord(project['optional-dependencies'])) {
      for (const list of Object.values(project['optional-dependencies'])) {
        if (Array.isArray(list)) for (const r of list) if (typeof r === 'string') add(r, 'optional');
      }
    }
    if (typeof project['requires-python'] === 'string') info.versions.python_version = project['requires-python'];
  }
  if (isRecord(doc['dependency-groups'])) {
    for (const list of Object.values(doc['dependency-groups'])) {
      if (Array.isArray(list)) for (const r of list) if (typeof r === 'string') add(r, 'dev');
    }
  }
  const tool = doc.tool;
  const poetry = isRecord(tool) ? tool.poetry : undefined;
  if (isRecord(poetry)) {
    const poetryDeps = (table: unknown, type: Dependency['type']): void => {
      if (!isRecord(table)) return;
      for (const [name, spec] of Object.entries(table)) {
        if (name === 'python') {
          if (typeof spec === 'string') info.versions.python_version ??= spec;
          continue;
        }
        const version = typeof spec === 'string' ? spec : isRecord(spec) && typeof spec.version === 'string' ? spec.version : '*';
        info.dependencies.push({ name, version, type, ecosystem: 'pypi', manifest });
      }
    };
    poetryDeps(poetry.dependencies, 'runtime');
    poetryDeps(poetry['dev-dependencies'], 'dev');
    if (isRecord(poetry.group)) for (const g of Object.values(poetry.group)) if (isRecord(g)) poetryDeps(g.dependencies, 'dev');
  }
  return info;
}

export function parseRequirementsTxt(text: string, manifest: string): ManifestInfo {
  const info = empty();
  info.projectTypes.push('python');
  const dev = /dev|test|lint|doc/i.test(manifest);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#') || line.startsWith('-') || /^[a-z+]+:\/\//i.test(line)) continue;
    const d = parsePep508(line);
    if (d) info.dependencies.push({ ...d, type: dev ? 'dev' : 'runtime', ecosystem: 'pypi', manifest });
  }
  return info;
}

export function parseCargoToml(text: string, manifest: string): ManifestInfo {
  const info = empty();
  const doc = parseTomlObject(text);
  if (!doc) return info;
  info.projectTypes.push('rust');
  const add = (table: unknown, type: Dependency['type']): void => {
    if (!isRecord(table)) return;
    for (const [name, spec] of Object.entries(table)) {
      const version =
        typeof spec === 'string'
          ? spec
          : isRecord(spec)
            ? typeof spec.version === 'string'
              ? spec.version
              : spec.workspace === true
                ? 'workspace'
                : typeof spec.git === 'string'
                  ? 'git'
                  : typeof spec.path === 'string'
                    ? 'path'
                    : '*'
            : '*';
      info.dependencies.push({ name, version, type, ecosystem: 'cargo', manifest });
    }
  };
  add(doc.dependencies, 'runtime');
  add(doc['dev-dependencies'], 'dev');
  add(doc['build-dependencies'], 'build');
  if (isRecord(doc.workspace)) add(doc.workspace.dependencies, 'runtime');
  const pkg = doc.package;
  if (isRecord(pkg) && typeof pkg['rust-version'] === 'string') info.versions.rust_version = pkg['rust-version'];
  return info;
}

/** go.mod has its own small grammar (not TOML): module, go, toolchain, require (line or block). */
export function parseGoMod(text: string, manifest: string): ManifestInfo {
  const info = empty();
  info.projectTypes.push('go');
  let inRequire = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    if (inRequire) {
      if (line === ')') {
        inRequire = false;
        continue;
      }
      const [name, version] = line.split(/\s+/);
      if (name && version) info.dependencies.push({ name, version, type: /\/\/\s*indirect/.test(raw) ? 'optional' : 'runtime', ecosystem: 'go', manifest });
      continue;
    }
    if (/^require\s*\($/.test(line)) {
      inRequire = true;
      continue;
    }
    const single = /^require\s+(\S+)\s+(\S+)/.exec(line);
    if (single) {
      info.dependencies.push({ name: single[1]!, version: single[2]!, type: /\/\/\s*indirect/.test(raw) ? 'optional' : 'runtime', ecosystem: 'go', manifest });
      continue;
    }
    const go = /^go\s+(\S+)/.exec(line);
    if (go) info.versions.go_version = go[1]!;
  }
  return info;
}

export function parsePomXml(text: string, manifest: string): ManifestInfo {
  const info = empty();
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({ ignoreAttributes: true, processEntities: false, parseTagValue: false }).parse(text) as Record<string, unknown>;
  } catch {
    return info;
  }
  info.projectTypes.push('java');
  const project = doc.project;
  if (!isRecord(project)) return info;
  const deps = isRecord(project.dependencies) ? project.dependencies.dependency : undefined;
  for (const d of Array.isArray(deps) ? deps : deps ? [deps] : []) {
    if (!isRecord(d)) continue;
    const name = `${xmlText(d.groupId)}:${xmlText(d.artifactId)}`;
    info.dependencies.push({
      name,
      version: d.version === undefined ? '*' : xmlText(d.version),
      type: d.scope === 'test' ? 'dev' : 'runtime',
      ecosystem: 'maven',
      manifest,
    });
  }
  const props = project.properties;
  if (isRecord(props)) {
    const v = props['maven.compiler.release'] ?? props['maven.compiler.source'] ?? props['java.version'];
    if (v !== undefined) info.versions.java_version = xmlText(v);
  }
  return info;
}

export function parseComposerJson(text: string, manifest: string): ManifestInfo {
  const info = empty();
  const doc = parseJsonObject(text);
  if (!doc) return info;
  info.projectTypes.push('php');
  for (const [key, type] of [
    ['require', 'runtime'],
    ['require-dev', 'dev'],
  ] as const) {
    const deps = doc[key];
    if (!isRecord(deps)) continue;
    for (const [name, version] of Object.entries(deps)) {
      if (name === 'php') {
        if (typeof version === 'string') info.versions.php_version = version;
        continue;
      }
      info.dependencies.push({ name, version: String(version), type, ecosystem: 'composer', manifest });
    }
  }
  return info;
}

const javaBuild = (): ManifestInfo => ({ projectTypes: ['java'], dependencies: [], versions: {} });

/** One parser per name of `PARSED_MANIFEST_FILES` (lower-cased); the type keeps them in step. */
const PARSERS: Record<Lowercase<(typeof PARSED_MANIFEST_FILES)[number]>, (text: string, rel: string) => ManifestInfo> = {
  'package.json': parsePackageJson,
  'pyproject.toml': parsePyproject,
  'cargo.toml': parseCargoToml,
  'go.mod': parseGoMod,
  'pom.xml': parsePomXml,
  'composer.json': parseComposerJson,
  gemfile: () => ({ projectTypes: ['ruby'], dependencies: [], versions: {} }),
  'build.gradle': javaBuild,
  'build.gradle.kts': javaBuild,
};

/** Parse a manifest by its file name; null when the name is not a known manifest. */
export function parseManifest(rel: string, text: string): ManifestInfo | null {
  const base = manifestBase(rel);
  if (REQUIREMENTS_PATTERN.test(base)) return parseRequirementsTxt(text, rel);
  const parse = Object.hasOwn(PARSERS, base) ? PARSERS[base as keyof typeof PARSERS] : undefined;
  return parse ? parse(text, rel) : null;
}

export { isParsedManifest };

/** A version file's content → version fields. */
export function parseVersionFile(rel: string, text: string): ManifestInfo['versions'] {
  const base = rel.slice(rel.lastIndexOf('/') + 1).toLowerCase();
  const first =
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l && !l.startsWith('#')) ?? '';
  switch (base) {
    case '.nvmrc':
    case '.node-version':
      return first ? { node_version: first } : {};
    case '.python-version':
      return first ? { python_version: first } : {};
    case 'runtime.txt':
      return /^python-/.test(first) ? { python_version: first.slice(7) } : {};
    case '.ruby-version':
      return first ? { ruby_version: first } : {};
    case '.java-version':
      return first ? { java_version: first } : {};
    case '.go-version':
      return first ? { go_version: first } : {};
    case 'rust-toolchain':
      return first ? { rust_version: first } : {};
    case 'rust-toolchain.toml': {
      try {
        const doc = parseToml(text) as Record<string, unknown>;
        const tc = doc.toolchain;
        return isRecord(tc) && typeof tc.channel === 'string' ? { rust_version: tc.channel } : {};
      } catch {
        return {};
      }
    }
    case '.tool-versions': {
      const out: ManifestInfo['versions'] = {};
      const map: Record<string, keyof ManifestInfo['versions']> = {
        nodejs: 'node_version',
        node: 'node_version',
        python: 'python_version',
        golang: 'go_version',
        go: 'go_version',
        rust: 'rust_version',
        java: 'java_version',
        ruby: 'ruby_version',
        php: 'php_version',
      };
      for (const line of text.split(/\r?\n/)) {
        const [tool, version] = line.trim().split(/\s+/);
        const key = tool ? map[tool] : undefined;
        if (key && version) out[key] ??= version;
      }
      return out;
    }
    default:
      return {};
  }
}

export interface Coverage {
  lines_pct: number | null;
  statements_pct: number | null;
  functions_pct: number | null;
  branches_pct: number | null;
  source: string;
  format: 'istanbul' | 'lcov' | 'cobertura';
}

const pct = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 100) / 100 : null);

/** istanbul `json-summary` (coverage-summary.json). */
export function parseIstanbulSummary(text: string, source: string): Coverage | null {
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    const total = doc.total;
    if (!isRecord(total)) return null;
    const of = (k: string): number | null => (isRecord(total[k]) ? pct(total[k].pct) : null);
    return {
      lines_pct: of('lines'),
      statements_pct: of('statements'),
      functions_pct: of('functions'),
      branches_pct: of('branches'),
      source,
      format: 'istanbul',
    };
  } catch {
    return null;
  }
}

/** lcov tracefile: sums LF/LH, FNF/FNH, BRF/BRH over all records. */
export function parseLcov(text: string, source: string): Coverage | null {
  const sums: Record<string, number> = { LF: 0, LH: 0, FNF: 0, FNH: 0, BRF: 0, BRH: 0 };
  let seen = false;
  for (const line of text.split(/\r?\n/)) {
    const m = /^(LF|LH|FNF|FNH|BRF|BRH):(\d+)$/.exec(line.trim());
    if (m) {
      sums[m[1]!]! += Number(m[2]);
      seen = true;
    }
  }
  if (!seen) return null;
  const ratio = (hit: number, found: number): number | null => (found > 0 ? pct((hit / found) * 100) : null);
  return {
    lines_pct: ratio(sums.LH!, sums.LF!),
    statements_pct: null,
    functions_pct: ratio(sums.FNH!, sums.FNF!),
    branches_pct: ratio(sums.BRH!, sums.BRF!),
    source,
    format: 'lcov',
  };
}

/** Cobertura XML: `<coverage line-rate="0.8" branch-rate="0.5">`. */
export function parseCobertura(text: string, source: string): Coverage | null {
  try {
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: false }).parse(text) as Record<string, unknown>;
    const cov = doc.coverage;
    if (!isRecord(cov)) return null;
    const rate = (k: string): number | null => {
      const v = cov[`@_${k}`];
      const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : NaN;
      return Number.isFinite(n) ? pct(n * 100) : null;
    };
    return { lines_pct: rate('line-rate'), statements_pct: null, functions_pct: null, branches_pct: rate('branch-rate'), source, format: 'cobertura' };
  } catch {
    return null;
  }
}

/** A scalar XML value as text; an element with attributes or children (an object) is not a version or a name. */
function xmlText(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}
