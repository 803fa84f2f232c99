import { compileGlobs } from './glob-pattern.js';

/**
 * The rules that keep paths out of the index, shared by the scan worker, the watcher's
 * `ignored` function and the event handler on the main thread (one source of truth, so the
 * watcher ignores exactly what the index ignores). `.gitignore` files are handled separately
 * (gitignore-rules.ts, or git itself inside a work tree).
 */

/** Serializable options: sent to workers as is. */
export interface PathRulesOptions {
  defaultExcludes: boolean;
  /** Extra gitignore-style patterns from `context.exclude`. */
  exclude: string[];
  /** Extra gitignore-style patterns from `context.secret_files`. */
  secretFiles: string[];
  /** The sidecar's storage dir relative to the root when it lies inside it, else null. */
  storageRel: string | null;
}

// Directories that are build outputs, dependency caches or VCS internals. `.git` is always out.
const DEFAULT_EXCLUDED_DIRS = [
  'node_modules',
  'bower_components',
  'jspm_packages',
  'vendor',
  'dist',
  'build',
  'out',
  'target',
  '.next',
  '.nuxt',
  '.svelte-kit',
  '.turbo',
  '.vercel',
  '.output',
  '.angular',
  '.expo',
  '.docusaurus',
  'coverage',
  '.nyc_output',
  '__pycache__',
  '.pytest_cache',
  '.mypy_cache',
  '.ruff_cache',
  '.tox',
  '.nox',
  '.venv',
  'venv',
  '.eggs',
  '.gradle',
  '.idea',
  '.cache',
  '.parcel-cache',
  '.terraform',
  '.serverless',
  '.cco',
  '.yarn',
  '.pnpm-store',
  '.dart_tool',
  '.stack-work',
  '_build',
  'deps',
  'elm-stuff',
  '.bundle',
  '.hypothesis',
  '.ipynb_checkpoints',
  '.sass-cache',
  'htmlcov',
  'site-packages',
  '.husky/_',
];
const ALWAYS_EXCLUDED_DIR = /(^|\/)(\.git|\.hg|\.svn|\.jj)(\/|$)/;
const DEFAULT_DIR_RE = new RegExp(`(^|/)(${DEFAULT_EXCLUDED_DIRS.map(escapeRe).join('|')}|[^/]+\\.egg-info)(/|$)`);
const DEFAULT_FILE_RE = /(^|\/)(\.ds_store|thumbs\.db|desktop\.ini|[^/]+\.(pyc|pyo|class|o|obj|so|dylib|dll|exe|a|lib|tsbuildinfo|swp|swo|log|tmp)|[^/]+~)$/i;

// Data-file extensions: `credentials.json` is a secret, `credentials.ts` is source code about them.
const DATA_EXT = 'json|ya?ml|toml|ini|xml|txt|csv|env|enc|conf|cfg|properties|db|plist|key|dat|bak|old';

// Files that must never be sent, by name (case-insensitive). See also CONDITIONAL_SECRET_RE.
const SECRET_BASENAME_RE = new RegExp(
  [
    '^\\.env(\\..*)?$',
    '^.*\\.env$',
    '^\\.envrc$',
    '^.*\\.(pem|key|p12|pfx|jks|keystore|p8|ppk|kdbx|ovpn|tfstate|tfstate\\.backup|tfvars|gpg|pgp|age)$',
    '^id_(rsa|dsa|ecdsa|ed25519|xmss)(\\..*)?$',
    `^(.*[-_.])?credentials(\\.(${DATA_EXT}))*$`,
    '^\\.?netrc$',
    '^_netrc$',
    '^\\.git-credentials$',
    '^\\.pgpass$',
    '^\\.my\\.cnf$',
    '^\\.htpasswd$',
    '^\\.vault-token$',
    '^secrets?\\.(ya?ml|json|toml|env|ini|txt)$',
    '^kubeconfig(\\..*)?$',
    '^.*\\.kubeconfig$',
    '^client_secret.*\\.json$',
    '^service[-_]?account.*\\.json$',
    '^.*[-_]sa[-_]key\\.json$',
    '^\\.boto$',
    '^\\.s3cfg$',
    '^\\.dockercfg$',
    '^\\.gem[-_]credentials$',
  ].join('|'),
  'i',
);
const SECRET_PATH_RE =
  /(^|\/)(\.aws\/(credentials|config)|\.kube\/config|\.ssh\/[^/]+|\.gnupg\/.*|\.docker\/config\.json|\.gem\/credentials|\.config\/gh\/hosts\.yml|\.azure\/.*|\.gcloud\/.*|\.config\/gcloud\/.*)$/i;

/**
 * Files that are secrets only when they carry tokens (`.npmrc` with `_authToken`, …): the build
 * worker reads them and drops them when {@link CONDITIONAL_SECRET_CONTENT_RE} matches. Use the
 * rule through `token-files.ts`.
 */
export const CONDITIONAL_SECRET_RE =
  /(^|\/)(\.npmrc|\.pypirc|\.yarnrc|\.yarnrc\.yml|pip\.conf|pip\.ini|\.condarc|\.bunfig\.toml|bunfig\.toml|nuget\.config|settings\.xml|\.gradle\/gradle\.properties|gradle\.properties)$/i;
export const CONDITIONAL_SECRET_CONTENT_RE =
  /(_authtoken|_auth\b|_password|npmauthtoken|npmauthident|password\s*[=:]|passwd\s*[=:]|token\s*[=:]|apikey|api_key|<password>|secret\s*[=:])/i;

/** Compiled rules. Construct once per options object. */
export class PathRules {
  readonly options: PathRulesOptions;
  private readonly userExclude: (p: string) => boolean;
  private readonly userSecret: (p: string) => boolean;

  constructor(options: PathRulesOptions) {
    this.options = options;
    this.userExclude = compileGlobs(options.exclude);
    this.userSecret = compileGlobs(options.secretFiles);
  }

  /** True when a directory (relative, no trailing slash) must not be walked or watched. */
  isExcludedDir(rel: string): boolean {
    if (rel === '' || rel === '.') return false;
    if (ALWAYS_EXCLUDED_DIR.test(rel)) return true;
    if (this.options.defaultExcludes && DEFAULT_DIR_RE.test(rel)) return true;
    if (this.isStorage(rel)) return true;
    return this.userExclude(rel + '/');
  }

  /** True when a file must not be indexed (excluded, inside an excluded dir, or a secret). */
  isExcludedFile(rel: string): boolean {
    if (ALWAYS_EXCLUDED_DIR.test(rel)) return true;
    if (this.options.defaultExcludes && (DEFAULT_DIR_RE.test(rel) || DEFAULT_FILE_RE.test(rel))) return true;
    if (this.isStorage(rel)) return true;
    if (this.userExclude(rel)) return true;
    return this.isSecretFile(rel);
  }

  /** True for files that are never sent, whatever they contain. */
  isSecretFile(rel: string): boolean {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    return SECRET_BASENAME_RE.test(base) || SECRET_PATH_RE.test(rel) || this.userSecret(rel);
  }

  private isStorage(rel: string): boolean {
    const s = this.options.storageRel;
    return s !== null && (rel === s || rel.startsWith(s + '/'));
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
