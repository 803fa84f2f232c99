import { compileGlobs } from '../../files/glob-pattern.js';
import { pathTerms } from '../../ranking/terms.js';
import type { Definition } from './definitions.js';

/**
 * The code search index of one project, held by the search worker thread: per file its path
 * terms, content terms (identifiers whole and split) with counts for BM25, and definitions.
 * Inverted lists are flat number arrays (`[doc, tf, doc, tf, …]`) — several times smaller than
 * Maps — and a file's entries can be replaced alone (a one-file edit touches only its terms).
 */

export interface SearchQuery {
  /** Words of the issue with their weight (title words count more). */
  words: Array<[string, number]>;
  /** Identifiers the issue names as code (`foo()`, `camelCase`, `snake_case`, backticks), lower-cased. */
  identifiers: string[];
  /** Paths, globs or file names the issue names. */
  files: string[];
}

export interface SearchHit {
  path: string;
  /** Text relevance (BM25 on contents + path terms), 0..1 relative to the best hit. */
  score: number;
  /** The issue names this file (path, glob or file name). */
  named: boolean;
  /** Identifiers named in the issue that this file defines. */
  defines: string[];
  /** Identifiers named in the issue that this file uses (without defining them). */
  references: string[];
  /** The query words that matched most (for `reason`). */
  matched: string[];
}

interface Doc {
  path: string;
  /** Number of content terms (BM25 document length). */
  len: number;
  terms: string[];
  /** Count of each of `terms` in the file. */
  tfs: Uint16Array;
  pathTerms: string[];
  defs: Definition[];
}

/** BM25 parameters (the usual defaults). */
const K1 = 1.2;
const B = 0.75;
/** A query word in the path counts like this many BM25 points per unit of idf. */
const PATH_WEIGHT = 1.5;

export class SearchIndex {
  private readonly docs: Array<Doc | null> = [];
  private readonly byPath = new Map<string, number>();
  private readonly free: number[] = [];
  private readonly postings = new Map<string, number[]>();
  private readonly pathPostings = new Map<string, number[]>();
  private readonly defNames = new Map<string, number[]>();
  private totalLen = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  get termCount(): number {
    return this.postings.size;
  }

  has(rel: string): boolean {
    return this.byPath.has(rel);
  }

  definitionsOf(rel: string): Definition[] | null {
    const id = this.byPath.get(rel);
    return id === undefined ? null : this.docs[id]!.defs;
  }

  /** Add or replace one file's entries. */
  put(rel: string, terms: Map<string, number>, defs: Definition[]): void {
    this.remove(rel);
    const id = this.free.pop() ?? this.docs.length;
    let len = 0;
    const list: string[] = [];
    const tfs = new Uint16Array(terms.size);
    for (const [t, tf] of terms) {
      len += tf;
      tfs[list.length] = Math.min(tf, 65_535);
      list.push(t);
      push(this.postings, t, id, tf);
    }
    const pt = pathTerms(rel);
    for (const t of pt) push(this.pathPostings, t, id, 1);
    const names = new Set(defs.map((d) => d.name.toLowerCase()));
    for (const n of names) {
      let l = this.defNames.get(n);
      if (!l) this.defNames.set(n, (l = []));
      l.push(id);
    }
    this.docs[id] = { path: rel, len, terms: list, tfs, pathTerms: pt, defs };
    this.byPath.set(rel, id);
    this.totalLen += len;
    this.live++;
  }

  remove(rel: string): boolean {
    const id = this.byPath.get(rel);
    if (id === undefined) return false;
    const d = this.docs[id]!;
    for (const t of d.terms) drop(this.postings, t, id, 2);
    for (const t of d.pathTerms) drop(this.pathPostings, t, id, 2);
    for (const n of new Set(d.defs.map((x) => x.name.toLowerCase()))) drop(this.defNames, n, id, 1);
    this.totalLen -= d.len;
    this.live--;
    this.docs[id] = null;
    this.byPath.delete(rel);
    this.free.push(id);
    return true;
  }

  /**
   * Files matching the query, best first (at most `limit`): BM25 over contents plus path terms,
   * files the issue names, and files defining or using the identifiers it names.
   */
  search(q: SearchQuery, limit: number): SearchHit[] {
    const n = Math.max(1, this.live);
    const avg = this.totalLen / n || 1;
    // One flat array of scores: a broad word can touch every file, and Maps or per-file
    // objects for 50k files cost far more than the arithmetic.
    const text = new Float64Array(this.docs.length);
    const idf = (df: number): number => Math.log(1 + (n - df + 0.5) / (df + 0.5));
    const weightOf = new Map<string, number>();
    for (const [t, wq] of q.words) {
      const list = this.postings.get(t);
      if (list) {
        const w = idf(list.length / 2) * wq;
        weightOf.set(t, w);
        for (let i = 0; i < list.length; i += 2) {
          const id = list[i]!;
          const tf = list[i + 1]!;
          text[id]! += (w * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * this.docs[id]!.len) / avg));
        }
      }
      const pl = this.pathPostings.get(t);
      if (pl) {
        const w = idf(pl.length / 2) * wq * PATH_WEIGHT;
        for (let i = 0; i < pl.length; i += 2) text[pl[i]!]! += w;
      }
    }
    const hits = new Map<number, SearchHit>();
    const hitOf = (id: number): SearchHit => {
      let h = hits.get(id);
      if (!h) hits.set(id, (h = { path: this.docs[id]!.path, score: 0, named: false, defines: [], references: [], matched: [] }));
      return h;
    };
    for (const ident of q.identifiers) {
      const defining = new Set(this.defNames.get(ident) ?? []);
      for (const id of defining) hitOf(id).defines.push(ident);
      const users = this.postings.get(ident);
      // A name used everywhere says nothing about any one file.
      if (users && users.length / 2 <= Math.max(20, n * 0.05)) {
        for (let i = 0; i < users.length; i += 2) if (!defining.has(users[i]!)) hitOf(users[i]!).references.push(ident);
      }
    }
    if (q.files.length > 0) {
      const globs = q.files.filter((f) => /[*?[]/.test(f));
      const plain = q.files.filter((f) => !/[*?[]/.test(f)).map((f) => f.replace(/^\.?\//, ''));
      const glob = globs.length > 0 ? compileGlobs(globs) : null;
      for (const [p, id] of this.byPath) {
        if (plain.some((f) => p === f || p.endsWith('/' + f)) || (glob && glob(p))) hitOf(id).named = true;
      }
    }
    // Only the best text matches become hits (twice the limit: the other signals re-rank them).
    let best = 0;
    const scored: number[] = [];
    for (let id = 0; id < text.length; id++) {
      if (text[id]! > 0) {
        scored.push(id);
        if (text[id]! > best) best = text[id]!;
      }
    }
    const keep = scored.length > limit * 2 ? topK(scored, text, limit * 2) : scored;
    for (const id of keep) if (text[id]! / best >= 0.02) hitOf(id).score = text[id]! / best;
    for (const [id, h] of hits) if (h.score === 0 && text[id]! > 0 && best > 0) h.score = text[id]! / best;
    const rank = (h: SearchHit): number => h.score + (h.named ? 2 : 0) + (h.defines.length > 0 ? 1.5 : 0) + Math.min(h.references.length, 3) * 0.2;
    const out = [...hits.entries()].sort((a, b) => rank(b[1]) - rank(a[1]) || (a[1].path < b[1].path ? -1 : 1)).slice(0, limit);
    // The words that matched most, for `reason` (computed for the answered hits only).
    for (const [id, h] of out) {
      const d = this.docs[id]!;
      const parts: Array<[string, number]> = [];
      for (const [t, w] of weightOf) {
        const k = d.terms.indexOf(t);
        let s = k >= 0 ? w * d.tfs[k]! : 0;
        if (d.pathTerms.includes(t)) s += w * PATH_WEIGHT;
        if (s > 0) parts.push([t, s]);
      }
      h.matched = parts
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map((x) => x[0]);
    }
    return out.map(([, h]) => h);
  }
}

/** The k ids with the highest scores (unordered), by quickselect on a copy. */
function topK(ids: number[], score: Float64Array, k: number): number[] {
  const a = ids.slice();
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = score[a[(lo + hi) >>> 1]!]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (score[a[i]!]! > pivot) i++;
      while (score[a[j]!]! < pivot) j--;
      if (i <= j) {
        [a[i], a[j]] = [a[j]!, a[i]!];
        i++;
        j--;
      }
    }
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else break;
  }
  return a.slice(0, k);
}

function push(map: Map<string, number[]>, key: string, id: number, tf: number): void {
  let l = map.get(key);
  if (!l) map.set(key, (l = []));
  l.push(id, tf);
}

function drop(map: Map<string, number[]>, key: string, id: number, stride: number): void {
  const l = map.get(key);
  if (!l) return;
  for (let i = 0; i < l.length; i += stride) {
    if (l[i] === id) {
      l.splice(i, stride);
      break;
    }
  }
  if (l.length === 0) map.delete(key);
}
