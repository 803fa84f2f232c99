/**
 * Words for the code search index and for issue queries, produced the same way on both sides
 * so they meet: identifiers whole and split on camelCase / snake_case / digits, lower-cased.
 * Pure functions (used in the search worker and on the main thread).
 */

const MIN_TERM = 2;
const MAX_TERM = 64;

/** English filler and keywords every language repeats: they carry no signal about a task. */
const STOP = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'but',
  'by',
  'for',
  'from',
  'has',
  'have',
  'if',
  'in',
  'into',
  'is',
  'it',
  'its',
  'not',
  'of',
  'on',
  'or',
  'so',
  'such',
  'that',
  'the',
  'their',
  'then',
  'there',
  'these',
  'this',
  'to',
  'was',
  'were',
  'will',
  'with',
  'we',
  'when',
  'which',
  'can',
  'do',
  'does',
  'no',
  'yes',
  'all',
  'any',
  'also',
  'now',
  'only',
  'def',
  'self',
  'return',
  'import',
  'const',
  'let',
  'var',
  'function',
  'class',
  'new',
  'else',
  'elif',
  'try',
  'except',
  'catch',
  'finally',
  'raise',
  'throw',
  'while',
  'pass',
  'none',
  'null',
  'true',
  'false',
  'undefined',
  'export',
  'public',
  'private',
  'static',
  'void',
  'int',
  'str',
  'string',
  'number',
  'fn',
  'pub',
  'use',
  'mut',
  'func',
  'package',
  'type',
]);

/** Splits `parseHTTPRequest2_fast` into `parse`, `http`, `request`, `2`, `fast` (before filtering). */
const SPLIT_RE = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g;
const WORD_RE = /[A-Za-z_][A-Za-z0-9_]*/g;

function keep(t: string): boolean {
  return t.length >= MIN_TERM && t.length <= MAX_TERM && !STOP.has(t);
}

/** The parts of one identifier (lower-cased), without the whole. */
export function identifierParts(word: string): string[] {
  const parts = word.match(SPLIT_RE);
  if (!parts || parts.length < 2) return [];
  const out: string[] = [];
  for (const p of parts) {
    const l = p.toLowerCase();
    if (keep(l) && !/^[0-9]+$/.test(l)) out.push(l);
  }
  return out;
}

/**
 * Every term of a text with its count: each identifier whole (lower-cased) and its parts.
 *
 * @example textTerms('parseConfig(raw)').get('parse') === 1
 */
export function textTerms(text: string, into = new Map<string, number>()): Map<string, number> {
  for (const m of text.matchAll(WORD_RE)) {
    const w = m[0];
    const whole = w.toLowerCase();
    if (keep(whole)) into.set(whole, (into.get(whole) ?? 0) + 1);
    for (const p of identifierParts(w)) if (p !== whole) into.set(p, (into.get(p) ?? 0) + 1);
  }
  return into;
}

/** Terms of a path: each segment and the stem of the file name, whole and split. */
export function pathTerms(rel: string): string[] {
  const out = new Set<string>();
  for (const seg of rel.split('/')) {
    const stem = seg.replace(/\.[^.]*$/, '');
    for (const w of (stem || seg).split(/[^A-Za-z0-9_]+/)) {
      if (!w) continue;
      const l = w.toLowerCase();
      if (keep(l)) out.add(l);
      for (const p of identifierParts(w)) out.add(p);
      for (const p of l.split('_')) if (keep(p)) out.add(p);
    }
  }
  return [...out];
}
