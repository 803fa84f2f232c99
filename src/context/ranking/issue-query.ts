import type { IssueRecord } from '../../issues/issue-record.js';
import type { SearchQuery } from '../worker/search/search-index.js';
import { textTerms } from './terms.js';

/**
 * What an issue asks the code search for: its words (title counted double), the identifiers it
 * names as code, and the files it names (its `files` plus paths and file names in the text).
 * Generic: nothing here knows about any one repository.
 */

const MAX_WORDS = 200;
const MAX_IDENTIFIERS = 40;
const MAX_FILES = 200;
/** File names in prose: a word with a known source/config extension. */
const FILE_RE =
  /(?:^|[\s`'"([])((?:[\w.-]+\/)*[\w.-]+\.(?:py|pyi|ts|tsx|mts|cts|js|jsx|mjs|cjs|go|rs|java|kt|rb|php|c|cc|cpp|h|hpp|cs|swift|scala|md|rst|toml|ya?ml|json|cfg|ini|txt|sh))(?=$|[\s`'"):,;\]]|\.(?:\s|$))/gim;
/** `name(` or `obj.name(`: a call or definition mentioned in the text. */
const CALL_RE = /\b([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\(/g;
const BACKTICK_RE = /`([^`\n]{1,120})`/g;
const WORD_RE = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/g;

const EXTENSION_WORDS = new Set([
  'py',
  'pyi',
  'ts',
  'tsx',
  'js',
  'jsx',
  'mjs',
  'cjs',
  'go',
  'rs',
  'java',
  'md',
  'rst',
  'toml',
  'yaml',
  'yml',
  'json',
  'cfg',
  'ini',
  'txt',
  'sh',
  'html',
  'css',
]);

/** camelCase, PascalCase with an inner capital, snake_case, dotted.names: shaped like code. */
function codeShaped(w: string): boolean {
  return /[a-z0-9][A-Z]/.test(w) || /[A-Za-z0-9]_[A-Za-z0-9]/.test(w) || /^_/.test(w) || /\w\.\w/.test(w);
}

export interface IssueSearch {
  query: SearchQuery;
  /** Identifiers mentioned as calls (`name(`): shown as `name()` in reasons. */
  called: Set<string>;
}

export function issueQuery(issue: IssueRecord): IssueSearch {
  const body = [issue.description, issue.acceptance ?? ''].join('\n');
  const text = `${issue.title}\n${body}`;
  const weights = new Map<string, number>();
  for (const [t, n] of textTerms(issue.title)) weights.set(t, (weights.get(t) ?? 0) + 2 * n);
  for (const [t, n] of textTerms(body)) weights.set(t, (weights.get(t) ?? 0) + Math.min(n, 3));
  for (const l of issue.labels) for (const [t] of textTerms(l)) weights.set(t, (weights.get(t) ?? 0) + 1);
  const words = [...weights].sort((a, b) => b[1] - a[1]).slice(0, MAX_WORDS);

  const idents = new Set<string>();
  const addIdent = (raw: string): void => {
    // `pkg.mod.func` names `func` (and the module path words are already query words).
    const last = raw.split('.').pop()!;
    if (EXTENSION_WORDS.has(last.toLowerCase())) return;
    if (last.length >= 3 && idents.size < MAX_IDENTIFIERS) idents.add(last.toLowerCase());
  };
  const called = new Set<string>();
  for (const m of text.matchAll(CALL_RE)) {
    addIdent(m[1]!);
    called.add(m[1]!.split('.').pop()!.toLowerCase());
  }
  for (const m of text.matchAll(BACKTICK_RE)) for (const w of m[1]!.match(WORD_RE) ?? []) if (!/^\d/.test(w)) addIdent(w);
  for (const m of text.matchAll(WORD_RE)) if (codeShaped(m[0])) addIdent(m[0]);

  const files = new Set(issue.files);
  // Hyphenated or snake_case module names (`trie-router`, `python_api`): a directory or file
  // stem of that name is where the issue points.
  for (const m of text.matchAll(/(?:^|[\s`'"([])([A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)+)(?=$|[\s`'"):,;\]]|\.(?:\s|$))/gm)) {
    if (files.size < MAX_FILES) files.add(`**/${m[1]!}/**`).add(`**/${m[1]!}.*`);
  }
  for (const m of text.matchAll(FILE_RE)) if (files.size < MAX_FILES) files.add(m[1]!.replace(/^\.\//, ''));
  return { query: { words, identifiers: [...idents], files: [...files] }, called };
}

/** True when the issue gives the search nothing to look for. */
export function isEmptyQuery(q: SearchQuery): boolean {
  return q.words.length === 0 && q.identifiers.length === 0 && q.files.length === 0;
}
