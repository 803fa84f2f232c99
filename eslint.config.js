// Lint: typescript-eslint with type-checked rules, and import bounds between modules.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Backend files of each stateful module (DESIGN.md "Backends"): only the module itself and the
 * composition root (src/sidecar) may import them; everyone else goes through the module's
 * interface and factory, so a Redis or PostgreSQL backend can replace the embedded one.
 */
const BACKENDS = {
  events: ['embedded-event-bus', 'event-journal', 'journal-records', 'embedded', 'redis'],
  results: ['file-result-store', 'result-index', 'tree-scan', 'file', 'postgres'],
  issues: ['file-issue-repository', 'postgres'],
};

/** The no-restricted-imports options for code in module `owner` (null: any other folder). */
function backendBounds(owner) {
  return {
    patterns: Object.entries(BACKENDS)
      .filter(([module]) => module !== owner)
      .map(([module, names]) => ({
        group: names.flatMap((name) => [`**/${module}/${name}.js`, `**/${module}/${name}/**`]),
        message: `${module}: import its interface and factory, not a backend file (only src/${module} and src/sidecar may).`,
      })),
  };
}

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'examples/**', 'coverage/**'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Control characters are what our input filters exist to refuse (ids, paths, audit escaping).
      'no-control-regex': 'off',
      // Passing a caught value on (a re-throw through a promise) is not inventing a non-Error reason.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
  {
    files: ['src/**/*.ts', 'workers/**/*.ts'],
    ignores: ['src/sidecar/**', ...Object.keys(BACKENDS).map((module) => `src/${module}/**`)],
    rules: { 'no-restricted-imports': ['error', backendBounds(null)] },
  },
  ...Object.keys(BACKENDS).map((module) => ({
    files: [`src/${module}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', backendBounds(module)] },
  })),
  {
    // Tests and benches use mocha globals, chai's property assertions and `any` for raw JSON.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Fakes implement async interfaces without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // The dashboard's page scripts run in the browser (ES modules, no bundler).
    files: ['web/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'sessionStorage',
          'navigator',
          'fetch',
          'Headers',
          'URL',
          'URLSearchParams',
          'TextDecoder',
          'AbortController',
          'atob',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'requestAnimationFrame',
          'performance',
          'console',
          'Event',
          'HTMLElement',
          'Node',
          'TextDecoderStream',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
