import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The SWE-bench style retrieval baseline: BM25 over whole file contents (plain lower-cased
 * alphanumeric words, no code-aware splitting), files packed whole in rank order into the budget
 * (a file that does not fit is skipped, the next one tried).
 */

const WORD = /[a-z0-9_]+/g;
const K1 = 1.2;
const B = 0.75;

function words(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of text.toLowerCase().match(WORD) ?? []) if (w.length > 1) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

export interface Bm25Result {
  /** Over every tracked text file. */
  packed: string[];
  /** Over source files only (`sourceRe`): a stronger baseline when the targets are sources. */
  packedSources: string[];
}

/** Rank the tracked text files of `root` (at HEAD of its work tree) for `query`. */
export function bm25Baseline(root: string, query: string, budget: number, sourceRe: RegExp): Bm25Result {
  const docs = readDocs(root);
  return {
    packed: rank(docs, query, budget),
    packedSources: rank(
      docs.filter((d) => sourceRe.test(d.path)),
      query,
      budget,
    ),
  };
}

interface Doc {
  path: string;
  tf: Map<string, number>;
  len: number;
  size: number;
}

function readDocs(root: string): Doc[] {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter(Boolean);
  const docs: Doc[] = [];
  for (const rel of files) {
    const abs = path.join(root, rel);
    let st;
    try {
      st = statSync(abs);
    } catch {
      continue;
    }
    if (!st.isFile() || st.size > 1024 * 1024) continue;
    const buf = readFileSync(abs);
    if (buf.subarray(0, 8000).includes(0)) continue;
    const tf = words(buf.toString('utf8'));
    let len = 0;
    for (const n of tf.values()) len += n;
    docs.push({ path: rel, tf, len, size: buf.length });
  }
  return docs;
}

function rank(docs: Doc[], query: string, budget: number): string[] {
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const avg = docs.reduce((a, d) => a + d.len, 0) / Math.max(1, docs.length);
  const q = [...words(query).keys()];
  const n = docs.length;
  const scored = docs
    .map((d) => {
      let s = 0;
      for (const t of q) {
        const f = d.tf.get(t);
        if (!f) continue;
        const idf = Math.log(1 + (n - df.get(t)! + 0.5) / (df.get(t)! + 0.5));
        s += (idf * f * (K1 + 1)) / (f + K1 * (1 - B + (B * d.len) / avg));
      }
      return { d, s };
    })
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s);
  const packed: string[] = [];
  let used = 0;
  for (const { d } of scored) {
    if (used + d.size > budget) continue;
    packed.push(d.path);
    used += d.size;
  }
  return packed;
}
