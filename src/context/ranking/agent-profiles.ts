import { createHash } from 'node:crypto';
import type { ProfileName, ContextConfig, ProfileOverride, Requirements, Weights } from '../service/context-config.js';
import { categoryOf } from '../../util/agent-category.js';
import { languageId } from '../files/languages.js';

/**
 * Agent type → profile, by rules rather than a hand list (the roster has ~119 types):
 *   1. `context.rules` from the config (regular expressions), first match wins;
 *   2. the sidecar-wide naming rules of `categoryOf` (architect > security > test > devops >
 *      documentation > support > coding), so permissions and context agree on a type;
 *   3. language words anywhere in the type (`python-specialist`, `go-expert`, `react-developer`,
 *      `django-backend-engineer`) give the profile its languages; a type with languages and no
 *      other category gets the coding profile for those languages;
 *   4. anything else gets the `default` profile.
 * Overrides from `context.profiles` are merged on top: `*`, then the profile, then the exact type.
 */

/** A resolved, serializable profile (it travels to the build worker as is). */
export interface AgentProfile {
  agentType: string;
  /** The profile the type uses (see `ProfileName`: not always its permission category). */
  profile: ProfileName;
  languages: string[];
  include: string[];
  exclude: string[];
  weights: Weights;
  requirements: Requirements;
  maxFiles: number | null;
  maxBytes: number | null;
  /** Stable digest of everything that affects ranking (memo key in workers). */
  key: string;
}

// Language words in agent types → languages (names from languages.ts).
const WEB = ['typescript', 'javascript', 'css', 'html', 'vue', 'svelte'];
const LANGUAGE_WORDS: Record<string, string[]> = {
  'objective-c': ['objective-c', 'c'],
  'c-sharp': ['csharp'],
  'f-sharp': ['fsharp'],
  'vue-js': WEB,
  'next-js': WEB,
  'node-js': ['javascript', 'typescript'],
  'ruby-on': ['ruby'],
  'type-script': ['typescript', 'javascript'],
  typescript: ['typescript', 'javascript'],
  ts: ['typescript', 'javascript'],
  tsx: ['typescript', 'javascript'],
  javascript: ['javascript', 'typescript'],
  js: ['javascript', 'typescript'],
  node: ['javascript', 'typescript'],
  nodejs: ['javascript', 'typescript'],
  deno: ['typescript', 'javascript'],
  bun: ['typescript', 'javascript'],
  express: ['javascript', 'typescript'],
  nestjs: ['typescript'],
  koa: ['javascript', 'typescript'],
  react: WEB,
  nextjs: WEB,
  next: WEB,
  vue: WEB,
  vuejs: WEB,
  nuxt: WEB,
  angular: WEB,
  svelte: WEB,
  sveltekit: WEB,
  frontend: WEB,
  ui: WEB,
  ux: WEB,
  web: WEB,
  css: ['css', 'html'],
  tailwind: ['css', 'html'],
  html: ['html', 'css'],
  'react-native': ['typescript', 'javascript'],
  electron: ['typescript', 'javascript'],
  python: ['python'],
  py: ['python'],
  django: ['python'],
  flask: ['python'],
  fastapi: ['python'],
  pandas: ['python'],
  pytorch: ['python'],
  tensorflow: ['python'],
  ml: ['python'],
  ai: ['python'],
  llm: ['python'],
  jupyter: ['python'],
  'data-scientist': ['python', 'sql'],
  'machine-learning': ['python'],
  go: ['go'],
  golang: ['go'],
  rust: ['rust'],
  cargo: ['rust'],
  wasm: ['rust'],
  java: ['java', 'kotlin'],
  spring: ['java', 'kotlin'],
  jvm: ['java', 'kotlin', 'scala'],
  kotlin: ['kotlin', 'java'],
  android: ['kotlin', 'java'],
  scala: ['scala'],
  spark: ['scala', 'python'],
  swift: ['swift', 'objective-c'],
  ios: ['swift', 'objective-c'],
  macos: ['swift', 'objective-c'],
  objc: ['objective-c'],
  csharp: ['csharp'],
  dotnet: ['csharp', 'fsharp'],
  aspnet: ['csharp'],
  unity: ['csharp'],
  fsharp: ['fsharp'],
  cpp: ['cpp', 'c'],
  cplusplus: ['cpp', 'c'],
  c: ['c', 'cpp'],
  embedded: ['c', 'cpp', 'rust'],
  firmware: ['c', 'cpp'],
  ruby: ['ruby'],
  rails: ['ruby'],
  php: ['php'],
  laravel: ['php'],
  symfony: ['php'],
  wordpress: ['php'],
  dart: ['dart'],
  flutter: ['dart'],
  elixir: ['elixir'],
  phoenix: ['elixir'],
  erlang: ['erlang'],
  haskell: ['haskell'],
  clojure: ['clojure'],
  lua: ['lua'],
  r: ['r'],
  julia: ['julia'],
  perl: ['perl'],
  shell: ['shell'],
  bash: ['shell'],
  zsh: ['shell'],
  powershell: ['powershell'],
  sql: ['sql'],
  database: ['sql'],
  db: ['sql'],
  dba: ['sql'],
  postgres: ['sql'],
  postgresql: ['sql'],
  mysql: ['sql'],
  sqlite: ['sql'],
  data: ['sql', 'python'],
  etl: ['sql', 'python'],
  graphql: ['graphql', 'typescript'],
  grpc: ['protobuf'],
  protobuf: ['protobuf'],
  solidity: ['solidity'],
  blockchain: ['solidity'],
  web3: ['solidity', 'typescript'],
  'smart-contract': ['solidity'],
  zig: ['zig'],
  nim: ['nim'],
  ocaml: ['ocaml'],
  elm: ['elm'],
  groovy: ['groovy'],
  terraform: ['terraform'],
};

const BASE_WEIGHTS: Weights = {
  source: 2,
  test: 1,
  docs: 1.5,
  config: 1,
  manifest: 2,
  ci: 0.5,
  infra: 0.5,
  script: 0.8,
  lock: 0,
  generated: 0,
  other: 0.3,
  security_sensitive: 0,
  entry_point: 1,
  language_match: 2,
  language_mismatch: 1,
  depth_penalty: 0.15,
  include_match: 3,
  issue_files: 10,
  uncommitted: 3,
  recent_commits: 1.5,
  query: 8,
  recency: 1,
  issue_match: 12,
  issue_definition: 10,
  issue_reference: 2,
};

const PROFILE_DEFAULTS: Record<ProfileName, { weights: Partial<Weights>; include: string[]; requirements?: Partial<Requirements> }> = {
  architect: {
    weights: { source: 1.5, test: 0.4, docs: 3, manifest: 3, config: 2, ci: 1, infra: 1.5, entry_point: 2.5, depth_penalty: 0.4 },
    include: ['README*', 'ARCHITECTURE*', 'DESIGN*', 'docs/', 'adr/', '**/adr/', 'CONTRIBUTING*'],
    requirements: { recent_commits: 20 },
  },
  coding: {
    weights: { source: 4, test: 2, docs: 0.6, manifest: 3, config: 1.2, ci: 0.3, infra: 0.3, language_match: 2.5, language_mismatch: 0.25, depth_penalty: 0.1 },
    include: [],
  },
  test: {
    weights: { test: 4.5, source: 2, config: 2, manifest: 2, ci: 1.5, docs: 0.4, language_match: 1.5, language_mismatch: 0.4 },
    include: [
      'jest.config.*',
      'vitest.config.*',
      '.mocharc*',
      'pytest.ini',
      'conftest.py',
      'tox.ini',
      'karma.conf.*',
      'playwright.config.*',
      'cypress.config.*',
      'phpunit.xml*',
      'coverage-summary.json',
    ],
  },
  security: {
    weights: { security_sensitive: 4, config: 2.5, manifest: 3.5, source: 1.5, ci: 2, infra: 2, docs: 0.6, test: 0.8, lock: 0.5 },
    include: ['SECURITY*', '**/auth/', '**/security/', '**/middleware/', 'Dockerfile*', '.github/workflows/', '*.rules', 'policy/', 'policies/'],
  },
  devops: {
    weights: { ci: 4.5, infra: 4.5, script: 3, config: 2.5, manifest: 2.5, source: 0.5, docs: 1, test: 0.3 },
    include: ['Dockerfile*', 'docker-compose*', 'compose.y*ml', 'Makefile', '.github/', '*.tf', 'helm/', 'k8s/', 'deploy/', 'scripts/', 'Procfile'],
  },
  documentation: {
    weights: { docs: 4.5, manifest: 2, source: 1, entry_point: 2, config: 0.5, test: 0.3, ci: 0.2, infra: 0.3, depth_penalty: 0.25 },
    include: ['README*', 'CHANGELOG*', 'CONTRIBUTING*', 'docs/', '*.md', 'LICENSE*', 'examples/'],
    requirements: { recent_commits: 15 },
  },
  support: {
    weights: { docs: 3.5, config: 2, manifest: 1.5, source: 1, entry_point: 1.5, test: 0.3, ci: 0.3, infra: 0.8 },
    include: ['README*', 'FAQ*', 'TROUBLESHOOTING*', 'CHANGELOG*', 'docs/', 'SUPPORT*', '.env.example'],
    requirements: { recent_commits: 5 },
  },
  default: { weights: {}, include: ['README*'] },
};

const BASE_REQUIREMENTS: Requirements = { git_context: true, recent_commits: 10, previous_outputs: true, metadata: true };

function tokensOf(agentType: string): string[] {
  return agentType
    .toLowerCase()
    .split(/[-_.\s]+/)
    .filter(Boolean);
}

/** Languages named in an agent type (including two-word names like `react-native`). */
export function languagesOfType(agentType: string): string[] {
  const tokens = tokensOf(agentType);
  const out: string[] = [];
  const push = (langs: string[] | undefined): void => {
    for (const l of langs ?? []) if (!out.includes(l)) out.push(l);
  };
  for (let i = 0; i < tokens.length; i++) {
    const pair = i + 1 < tokens.length ? `${tokens[i]}-${tokens[i + 1]}` : '';
    if (pair && LANGUAGE_WORDS[pair]) {
      push(LANGUAGE_WORDS[pair]);
      i++;
      continue;
    }
    push(LANGUAGE_WORDS[tokens[i]!]);
  }
  return out;
}

/**
 * Profile of an agent type before config overrides: its category by the sidecar-wide naming
 * rules (`categoryOf`, shared with permissions, rate limits and workflow rules), except that a
 * type naming a language but matching no rule gets the coding profile for that language.
 */
export function defaultProfileOf(agentType: string, languages: string[]): ProfileName {
  const category = categoryOf(agentType);
  return category === 'default' && languages.length > 0 ? 'coding' : category;
}

/**
 * Resolve the profile of an agent type.
 *
 * @example resolveProfile('python-specialist', cfg).profile === 'coding' // languages: ['python']
 */
export function resolveProfile(agentType: string, config: Pick<ContextConfig, 'rules' | 'profiles'>): AgentProfile {
  const lower = agentType.toLowerCase();
  let chosen: ProfileName | undefined;
  let languages = languagesOfType(agentType);
  for (const rule of config.rules) {
    if (new RegExp(rule.pattern).test(lower)) {
      chosen = rule.category;
      if (rule.languages) languages = rule.languages;
      break;
    }
  }
  const profile = chosen ?? defaultProfileOf(agentType, languages);

  const overrides: ProfileOverride[] = [];
  const star = config.profiles['*'];
  if (star) overrides.push(star);
  // The exact type may itself change the profile; apply the profile layer of the final one.
  const exact = config.profiles[agentType] ?? config.profiles[lower];
  const finalProfile = exact?.category ?? config.profiles[profile]?.category ?? star?.category ?? profile;
  const profileLayer = config.profiles[finalProfile];
  if (profileLayer && profileLayer !== exact) overrides.push(profileLayer);
  if (exact) overrides.push(exact);

  const defaults = PROFILE_DEFAULTS[finalProfile];
  let weights: Weights = { ...BASE_WEIGHTS, ...defaults.weights };
  let include = [...defaults.include];
  let exclude: string[] = [];
  let requirements: Requirements = { ...BASE_REQUIREMENTS, ...defaults.requirements };
  let maxFiles: number | null = null;
  let maxBytes: number | null = null;
  for (const o of overrides) {
    if (o.languages) languages = o.languages;
    if (o.include) include = [...include, ...o.include];
    if (o.exclude) exclude = [...exclude, ...o.exclude];
    if (o.weights) weights = { ...weights, ...o.weights };
    if (o.requirements) requirements = { ...requirements, ...o.requirements };
    if (o.max_files !== undefined) maxFiles = o.max_files;
    if (o.max_bytes !== undefined) maxBytes = o.max_bytes;
  }
  // A profile without languages does not penalise other languages.
  if (languages.length === 0) weights = { ...weights, language_mismatch: 1 };
  languages = languages.filter((l) => languageId(l) !== undefined);
  const key = createHash('sha256')
    .update(JSON.stringify([finalProfile, languages, include, exclude, weights]))
    .digest('hex')
    .slice(0, 16);
  return { agentType, profile: finalProfile, languages, include, exclude, weights, requirements, maxFiles, maxBytes, key };
}
