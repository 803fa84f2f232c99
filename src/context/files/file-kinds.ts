import { PARSED_MANIFEST_FILES } from './manifest-names.js';
import { isProgrammingLanguage, languageIdOfBase } from './languages.js';

/**
 * What a file is for, as bit flags computed once per path (stored in index snapshots as a
 * Uint16). Ranking weighs these per agent profile.
 */
export const Kind = {
  SOURCE: 1 << 0,
  TEST: 1 << 1,
  DOCS: 1 << 2,
  CONFIG: 1 << 3,
  MANIFEST: 1 << 4,
  CI: 1 << 5,
  INFRA: 1 << 6,
  SCRIPT: 1 << 7,
  LOCK: 1 << 8,
  GENERATED: 1 << 9,
  SECURITY: 1 << 10,
  ENTRY: 1 << 11,
  /** Known binary formats by extension: never read, never ranked. */
  BINARY: 1 << 12,
} as const;

const BINARY_EXT = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'bmp',
  'ico',
  'icns',
  'webp',
  'avif',
  'tif',
  'tiff',
  'psd',
  'heic',
  'mp3',
  'mp4',
  'm4a',
  'wav',
  'ogg',
  'flac',
  'mov',
  'avi',
  'mkv',
  'webm',
  'zip',
  'gz',
  'tgz',
  'bz2',
  'xz',
  '7z',
  'rar',
  'tar',
  'zst',
  'jar',
  'war',
  'ear',
  'whl',
  'egg',
  'pdf',
  'doc',
  'docx',
  'xls',
  'xlsx',
  'ppt',
  'pptx',
  'odt',
  'ods',
  'woff',
  'woff2',
  'ttf',
  'otf',
  'eot',
  'bin',
  'dat',
  'db',
  'sqlite',
  'sqlite3',
  'pyc',
  'class',
  'o',
  'so',
  'dll',
  'dylib',
  'exe',
  'wasm',
  'node',
  'pkl',
  'pickle',
  'npy',
  'npz',
  'h5',
  'hdf5',
  'onnx',
  'pt',
  'pth',
  'ckpt',
  'safetensors',
  'parquet',
  'avro',
  'orc',
  'iso',
  'dmg',
  'img',
  'deb',
  'rpm',
  'apk',
  'ipa',
  'lockb',
  'glb',
  'gltf',
  'fbx',
  'blend',
  'swf',
  'jks',
]);

/** Ranked as manifests: every parsed one, and names ranked but not parsed. */
const MANIFESTS = new Set([
  ...PARSED_MANIFEST_FILES.map((f) => f.toLowerCase()),
  'setup.py',
  'setup.cfg',
  'pipfile',
  'settings.gradle',
  'settings.gradle.kts',
  'mix.exs',
  'pubspec.yaml',
  'deno.json',
  'deno.jsonc',
  'project.clj',
  'deps.edn',
  'build.sbt',
  'cmakelists.txt',
  'meson.build',
  'stack.yaml',
  'cabal.project',
  'environment.yml',
  'conanfile.txt',
  'vcpkg.json',
  'rebar.config',
]);
const LOCKS = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'bun.lock',
  'cargo.lock',
  'poetry.lock',
  'pipfile.lock',
  'uv.lock',
  'pdm.lock',
  'go.sum',
  'gemfile.lock',
  'composer.lock',
  'mix.lock',
  'pubspec.lock',
  'flake.lock',
  'packages.lock.json',
  'gradle.lockfile',
]);
const CI_FILES = new Set([
  '.gitlab-ci.yml',
  'jenkinsfile',
  'azure-pipelines.yml',
  '.travis.yml',
  'bitbucket-pipelines.yml',
  '.drone.yml',
  'appveyor.yml',
  'cloudbuild.yaml',
  'cloudbuild.yml',
  'codecov.yml',
  '.pre-commit-config.yaml',
]);
const INFRA_FILES = new Set([
  'procfile',
  'fly.toml',
  'vercel.json',
  'netlify.toml',
  'serverless.yml',
  'serverless.yaml',
  'chart.yaml',
  'values.yaml',
  'kustomization.yaml',
  'skaffold.yaml',
  'tiltfile',
  'nginx.conf',
  'app.yaml',
  'render.yaml',
  'railway.json',
  'heroku.yml',
  'vagrantfile',
  'docker-compose.yml',
  'docker-compose.yaml',
  'compose.yml',
  'compose.yaml',
  '.dockerignore',
]);
const DOC_NAMES =
  /^(readme|changelog|changes|history|contributing|code_of_conduct|security|authors|notice|faq|troubleshooting|architecture|design|adr|roadmap|support|upgrading|migration)(\.[a-z0-9]+)?$/;
const DOC_EXT = /\.(md|mdx|markdown|rst|adoc|asciidoc|txt|org)$/;
const CONFIG_NAMES =
  /^(tsconfig(\..+)?\.json|jsconfig\.json|\.eslintrc(\..+)?|eslint\.config\.[cm]?[jt]s|\.prettierrc(\..+)?|prettier\.config\.[cm]?js|\.babelrc|babel\.config\.[cm]?js|jest\.config\.[cm]?[jt]s|vitest\.config\.[cm]?[jt]s|\.mocharc(\..+)?|karma\.conf\.js|webpack\.config\.[cm]?[jt]s|vite\.config\.[cm]?[jt]s|rollup\.config\.[cm]?[jt]s|tox\.ini|pytest\.ini|\.flake8|\.pylintrc|mypy\.ini|ruff\.toml|\.rubocop\.yml|\.editorconfig|\.gitignore|\.gitattributes|\.nvmrc|\.node-version|\.python-version|\.ruby-version|\.tool-versions|rust-toolchain(\.toml)?|makefile|gnumakefile|justfile|\.swcrc|nodemon\.json|turbo\.json|nx\.json|lerna\.json|\.browserslistrc|tailwind\.config\.[cm]?[jt]s|postcss\.config\.[cm]?js|next\.config\.[cm]?[jt]s|nuxt\.config\.[jt]s|svelte\.config\.js|angular\.json|\.golangci\.ya?ml|clippy\.toml|rustfmt\.toml|\.clang-format|\.oclif\.manifest\.json)$/;
const CONFIG_EXT = /\.(ya?ml|toml|ini|cfg|conf|properties|jsonc?|json5|xml|env\.example|plist)$/;
const TEST_DIR = /(^|\/)(tests?|__tests__|__mocks__|specs?|e2e|integration[-_]?tests?|testing|test[-_]?utils|fixtures|testdata|cypress|playwright)\//;
const TEST_FILE =
  /(^test_.*\.py$|_test\.(py|go|rb|exs|dart)$|[._-](test|spec|e2e|integration)\.[a-z0-9]+$|^(test|spec)\.[a-z]+$|tests?\.(java|kt|cs|scala|swift|php)$|_spec\.rb$|^conftest\.py$)/;
const CI_DIR = /(^|\/)(\.github\/workflows|\.github\/actions|\.circleci|\.buildkite|\.gitlab|\.woodpecker|\.azure-pipelines)\//;
const INFRA_DIR =
  /(^|\/)(k8s|kubernetes|helm|charts|deploy|deployment|deployments|manifests|infra|infrastructure|terraform|ansible|playbooks|docker|\.devcontainer|ops|pulumi|cdk)\//;
const SCRIPT_DIR = /(^|\/)(scripts?|bin|tools|hack)\//;
const SECURITY_WORDS =
  /(auth|oauth|jwt|token|session|login|logout|passw|credential|crypt|cipher|secret|permission|rbac|acl|policy|policies|sanitiz|escape|csrf|xss|cors|security|guard|firewall|tls|ssl|cert|signature|sign[-_]?in|verify|acl)/;
const ENTRY_NAMES = /^(index|main|app|server|cli|__init__|__main__|lib|mod|program|startup|entry|bootstrap|wsgi|asgi|manage)\.[a-z0-9]+$/;

// Which languages a manifest belongs to (a python specialist wants pyproject.toml, not package.json).
const MANIFEST_LANGUAGES: Record<string, string[]> = {
  'package.json': ['javascript', 'typescript'],
  'deno.json': ['typescript', 'javascript'],
  'deno.jsonc': ['typescript', 'javascript'],
  'pyproject.toml': ['python'],
  'setup.py': ['python'],
  'setup.cfg': ['python'],
  pipfile: ['python'],
  'environment.yml': ['python'],
  'cargo.toml': ['rust'],
  'go.mod': ['go'],
  'pom.xml': ['java', 'kotlin', 'scala'],
  'build.gradle': ['java', 'kotlin', 'groovy'],
  'build.gradle.kts': ['kotlin', 'java'],
  'settings.gradle': ['java', 'kotlin'],
  'settings.gradle.kts': ['kotlin', 'java'],
  gemfile: ['ruby'],
  'composer.json': ['php'],
  'mix.exs': ['elixir'],
  'pubspec.yaml': ['dart'],
  'project.clj': ['clojure'],
  'deps.edn': ['clojure'],
  'build.sbt': ['scala'],
  'cmakelists.txt': ['cpp', 'c'],
  'meson.build': ['cpp', 'c'],
  'stack.yaml': ['haskell'],
  'cabal.project': ['haskell'],
  'conanfile.txt': ['cpp', 'c'],
  'vcpkg.json': ['cpp', 'c'],
  'rebar.config': ['erlang'],
};

/** Languages of a manifest file (by lower-cased base name), or null when it is not one we know. */
export function manifestLanguages(base: string): string[] | null {
  if (/^requirements.*\.txt$/.test(base)) return ['python'];
  if (base.endsWith('.csproj')) return ['csharp'];
  if (base.endsWith('.gemspec')) return ['ruby'];
  return MANIFEST_LANGUAGES[base] ?? null;
}

/** Facts that depend only on a file's directory (memoised per directory when classifying a whole index). */
interface DirFacts {
  depth: number;
  generated: boolean;
  test: boolean;
  ci: boolean;
  infra: boolean;
  docs: boolean;
  script: boolean;
  security: boolean;
}

const GENERATED_DIR = /(^|\/)(generated|__generated__|gen)\//;
const GENERATED_FILE =
  /(\.min\.(js|css)|\.map|\.snap|_pb2(_grpc)?\.py|\.pb\.go|\.pb\.(h|cc)|\.g\.dart|\.freezed\.dart|\.generated\.[a-z]+|\.d\.ts\.map|-lock\.json)$/;
const DOCS_DIR = /(^|\/)(docs?|documentation|wiki|man)\//;

function dirFacts(dirLower: string): DirFacts {
  // `dirLower` is '' or ends with '/'.
  let depth = 0;
  for (let i = dirLower.indexOf('/'); i >= 0; i = dirLower.indexOf('/', i + 1)) depth++;
  return {
    depth,
    generated: GENERATED_DIR.test(dirLower),
    test: TEST_DIR.test(dirLower),
    ci: CI_DIR.test(dirLower),
    infra: INFRA_DIR.test(dirLower),
    docs: DOCS_DIR.test(dirLower),
    script: SCRIPT_DIR.test(dirLower),
    security: SECURITY_WORDS.test(dirLower),
  };
}

function combine(d: DirFacts, dirLower: string, base: string): { kinds: number; languageId: number; depth: number } {
  const languageId = languageIdOfBase(base);
  let kinds = 0;
  const dot = base.lastIndexOf('.');
  if (dot > 0 && BINARY_EXT.has(base.slice(dot + 1))) kinds |= Kind.BINARY;
  if (LOCKS.has(base)) kinds |= Kind.LOCK;
  else if (MANIFESTS.has(base) || /^requirements.*\.txt$/.test(base) || base.endsWith('.csproj') || base.endsWith('.gemspec')) kinds |= Kind.MANIFEST;
  if (d.generated || GENERATED_FILE.test(base)) kinds |= Kind.GENERATED;
  if (d.test || TEST_FILE.test(base)) kinds |= Kind.TEST;
  if (d.ci || CI_FILES.has(base) || (dirLower.endsWith('.github/') && base.endsWith('.yml'))) kinds |= Kind.CI;
  if (
    d.infra ||
    INFRA_FILES.has(base) ||
    base.startsWith('dockerfile') ||
    base.endsWith('.dockerfile') ||
    base.endsWith('.tf') ||
    base.endsWith('.hcl') ||
    base.startsWith('docker-compose')
  )
    kinds |= Kind.INFRA;
  if (DOC_NAMES.test(base) || (DOC_EXT.test(base) && !(kinds & Kind.TEST)) || d.docs) {
    if (!(kinds & (Kind.MANIFEST | Kind.LOCK))) kinds |= Kind.DOCS;
  }
  if (CONFIG_NAMES.test(base) || (CONFIG_EXT.test(base) && !(kinds & (Kind.MANIFEST | Kind.LOCK | Kind.CI)))) kinds |= Kind.CONFIG;
  const programming = isProgrammingLanguage(languageId);
  if (programming && (d.script || base.endsWith('.sh') || base.endsWith('.ps1'))) kinds |= Kind.SCRIPT;
  if (programming && !(kinds & (Kind.GENERATED | Kind.LOCK))) kinds |= Kind.SOURCE;
  if (d.security || SECURITY_WORDS.test(base)) kinds |= Kind.SECURITY;
  if (d.depth <= 2 && ENTRY_NAMES.test(base)) kinds |= Kind.ENTRY;
  return { kinds, languageId, depth: d.depth };
}

/**
 * Classify one relative POSIX path.
 *
 * @example classify('src/auth/login.test.ts') // Kind.TEST | Kind.SECURITY | …
 */
export function classify(relPath: string): { kinds: number; languageId: number; depth: number } {
  const lower = relPath.toLowerCase();
  const slash = lower.lastIndexOf('/');
  const dir = lower.slice(0, slash + 1);
  return combine(dirFacts(dir), dir, lower.slice(slash + 1));
}

/** A classifier that memoises directory facts: for classifying a whole index (50k paths share ~5k dirs). */
export function createClassifier(): (relPath: string) => { kinds: number; languageId: number; depth: number } {
  const dirs = new Map<string, DirFacts>();
  return (relPath) => {
    const lower = relPath.toLowerCase();
    const slash = lower.lastIndexOf('/');
    const dir = lower.slice(0, slash + 1);
    let d = dirs.get(dir);
    if (!d) dirs.set(dir, (d = dirFacts(dir)));
    return combine(d, dir, lower.slice(slash + 1));
  };
}
