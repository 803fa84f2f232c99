import { createHash } from 'node:crypto';
import { ancestorDirs } from '../../files/ancestor-dirs.js';
import type { AgentProfile } from '../../ranking/agent-profiles.js';
import { fitBudget } from '../../ranking/budget.js';
import { classify } from '../../files/file-kinds.js';
import { LANGUAGE_NAMES } from '../../files/languages.js';
import { CONDITIONAL_SECRET_CONTENT_RE, CONDITIONAL_SECRET_RE, PathRules, type PathRulesOptions } from '../../files/path-rules.js';
import { prepareSignals, ProfileScorer, type PreparedSignals } from '../../ranking/ranking.js';
import { redactSecrets } from '../../ranking/redact.js';
import { looksBinary, readContainedFileSync } from '../../files/safe-read.js';
import { SnapshotView } from '../../index/snapshot-codec.js';
import { selectCandidates, selectListed, type RankInputs } from './select-ranked.js';
import type { BuildResult, BuildTask, RelevantFile, SnapshotBuffers } from '../../pool/worker-protocol.js';

/**
 * Pick, rank, read, redact and truncate the relevant files for one context request. Runs in a
 * worker thread (workers/build-context.ts is the entry point). The module keeps small memos
 * that live as long as the thread: decoded snapshots, per-profile static scores, and file
 * contents keyed by (dev, ino, size, mtime, ctime) — the file is always re-opened and fstat'ed,
 * so the memo never serves content that changed.
 */

interface DecodedSnapshot {
  view: SnapshotView;
  paths: string[];
  lower: string[] | null;
}

const snapshots = new Map<string, DecodedSnapshot>();
const statics = new Map<string, Float64Array>();
const scorers = new Map<string, ProfileScorer>();
const rulesMemo = new Map<string, PathRules>();

interface ContentMemo {
  key: string;
  /** Size and mtime of the file as read (fstat of the opened descriptor). */
  size: number;
  mtimeMs: number;
  text: string | null;
  checksum: string;
  redactions: number;
  bytes: number;
  rejected: 'binary' | 'secret' | null;
}
const contents = new Map<string, ContentMemo>();
let contentBytes = 0;
const CONTENT_MEMO_BYTES = 48 * 1024 * 1024;

function decoded(buffers: SnapshotBuffers): DecodedSnapshot {
  let d = snapshots.get(buffers.id);
  if (!d) {
    const view = new SnapshotView(buffers);
    d = { view, paths: view.allPaths(), lower: null };
    snapshots.set(buffers.id, d);
    // A new scan replaces the old one; keep two for requests racing a rescan.
    while (snapshots.size > 2) {
      const oldest = snapshots.keys().next().value!;
      snapshots.delete(oldest);
      for (const k of [...statics.keys()]) if (k.startsWith(oldest + '|')) statics.delete(k);
      for (const k of [...orders.keys()]) if (k.startsWith(oldest + '|')) orders.delete(k);
    }
  }
  return d;
}

function scorerFor(profile: AgentProfile): ProfileScorer {
  let s = scorers.get(profile.key);
  if (!s) {
    s = new ProfileScorer(profile);
    scorers.set(profile.key, s);
    if (scorers.size > 256) scorers.delete(scorers.keys().next().value!);
  }
  return s;
}

function rulesFor(opts: PathRulesOptions): PathRules {
  const key = JSON.stringify(opts);
  let r = rulesMemo.get(key);
  if (!r) {
    r = new PathRules(opts);
    rulesMemo.set(key, r);
  }
  return r;
}

function staticScores(snap: DecodedSnapshot, scorer: ProfileScorer): Float64Array {
  const key = `${snap.view.buffers.id}|${scorer.profile.key}`;
  let arr = statics.get(key);
  if (!arr) {
    const { view, paths } = snap;
    arr = new Float64Array(view.count);
    for (let i = 0; i < view.count; i++) arr[i] = scorer.staticScore(paths[i]!, view.kinds[i]!, view.langs[i]!, view.depths[i]!);
    statics.set(key, arr);
    if (statics.size > 64) statics.delete(statics.keys().next().value!);
  } else {
    // LRU touch
    statics.delete(key);
    statics.set(key, arr);
  }
  return arr;
}

const orders = new Map<string, Uint32Array>();

/** Base items by static score descending, index (= path) ascending; memoised like the scores. */
function staticOrder(snap: DecodedSnapshot, scorer: ProfileScorer, base: Float64Array): Uint32Array {
  const key = `${snap.view.buffers.id}|${scorer.profile.key}`;
  let order = orders.get(key);
  if (!order) {
    order = new Uint32Array(base.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => {
      const sa = base[a]!;
      const sb = base[b]!;
      if (sa === sb) return a - b;
      if (sa === -Infinity) return 1;
      if (sb === -Infinity) return -1;
      return sb - sa;
    });
    orders.set(key, order);
    if (orders.size > 64) orders.delete(orders.keys().next().value!);
  }
  return order;
}

function readForContext(realRoot: string, rel: string, maxFileBytes: number, indexed: { size: number; mtimeMs: number }): ContentMemo | null {
  // The index is kept current by the watcher (or a TTL rescan): when it still reports the
  // size and mtime the memo was read with, the content is the same, and re-opening and
  // fstat'ing 50 files per request (~130 µs each) would only cost time. What the memo holds
  // was read through the contained, no-follow path, so serving it never leaks anything.
  const known = contents.get(rel);
  if (known && known.size === indexed.size && known.mtimeMs === indexed.mtimeMs) {
    contents.delete(rel);
    contents.set(rel, known);
    return known;
  }
  const r = readContainedFileSync(realRoot, rel, maxFileBytes);
  if (!r.ok) return null;
  const st = r.stats;
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const memo = contents.get(rel);
  if (memo && memo.key === key) {
    contents.delete(rel);
    contents.set(rel, memo);
    return memo;
  }
  const checksum = 'sha256:' + createHash('sha256').update(r.data).digest('hex');
  let value: ContentMemo;
  const stat = { size: st.size, mtimeMs: st.mtimeMs };
  if (looksBinary(r.data)) value = { key, ...stat, text: null, checksum, redactions: 0, bytes: 0, rejected: 'binary' };
  else {
    const raw = r.data.toString('utf8');
    if (CONDITIONAL_SECRET_RE.test(rel) && CONDITIONAL_SECRET_CONTENT_RE.test(raw)) {
      value = { key, ...stat, text: null, checksum, redactions: 0, bytes: 0, rejected: 'secret' };
    } else {
      const red = redactSecrets(raw);
      value = { key, ...stat, text: red.text, checksum, redactions: red.count, bytes: Buffer.byteLength(red.text), rejected: null };
    }
  }
  if (memo) {
    contentBytes -= memo.bytes;
    contents.delete(rel);
  }
  contents.set(rel, value);
  contentBytes += value.bytes;
  while (contentBytes > CONTENT_MEMO_BYTES && contents.size > 1) {
    const [oldKey, old] = contents.entries().next().value!;
    contents.delete(oldKey);
    contentBytes -= old.bytes;
  }
  return value;
}

/** Build the file part of a context. Throws only on programming errors (the entry point wraps it). */
export function buildContext(task: BuildTask): BuildResult {
  const t0 = performance.now();
  const snap = decoded(task.snapshot);
  const tDecoded = performance.now();
  if (task.prime) {
    // Decoding is all the first real request would otherwise wait for on this thread.
    return {
      ok: true, relevantFiles: [], files: [], filesTruncated: false, directories: [], truncated: false, contentBytes: 0,
      selectionCutoff: Infinity, listCutoff: -Infinity, selectionOpen: true, considered: [], redactions: 0,
      timings: { decodeMs: tDecoded - t0, staticMs: 0, rankMs: 0, readMs: 0, totalMs: performance.now() - t0 },
    };
  }
  const { view, paths } = snap;
  const scorer = scorerFor(task.profile);
  const sig: PreparedSignals = prepareSignals(task.signals);
  const rules = rulesFor(task.rules);
  const base = staticScores(snap, scorer);
  const tStatic = performance.now();
  const needLower = sig.queryTerms.length > 0;
  if (needLower && !snap.lower) snap.lower = paths.map((p) => p.toLowerCase());
  const lower = snap.lower;

  // Overlay: changes since the snapshot. Base entries it overrides or deletes are skipped;
  // the rest become extra items after the base ones.
  const overridden = new Map<number, [number, number] | null>();
  const extra: Array<{ path: string; size: number; mtimeMs: number; kinds: number; lang: number; depth: number; st: number }> = [];
  for (const o of task.overlay) {
    const idx = view.count > 0 ? binarySearch(paths, o[0]) : -1;
    const val = o.length === 3 ? ([o[1], o[2]] as [number, number]) : null;
    if (idx >= 0) overridden.set(idx, val);
    else if (val) {
      const c = classify(o[0]);
      extra.push({ path: o[0], size: val[0], mtimeMs: val[1], kinds: c.kinds, lang: c.languageId, depth: c.depth, st: scorer.staticScore(o[0], c.kinds, c.languageId, c.depth) });
    }
  }
  const n = view.count + extra.length;
  const pathOf = (i: number): string => (i < view.count ? paths[i]! : extra[i - view.count]!.path);
  const lowerOf = (i: number): string => (i < view.count ? (lower ? lower[i]! : paths[i]!) : extra[i - view.count]!.path.toLowerCase());
  const mtimeOf = (i: number): number => {
    if (i >= view.count) return extra[i - view.count]!.mtimeMs;
    const o = overridden.get(i);
    return o ? o[1] : view.mtimes[i]!;
  };
  const sizeOf = (i: number): number => {
    if (i >= view.count) return extra[i - view.count]!.size;
    const o = overridden.get(i);
    return o ? o[0] : view.sizes[i]!;
  };
  const kindsOf = (i: number): number => (i < view.count ? view.kinds[i]! : extra[i - view.count]!.kinds);
  const langOf = (i: number): number => (i < view.count ? view.langs[i]! : extra[i - view.count]!.lang);
  const deleted = (i: number): boolean => i < view.count && overridden.has(i) && overridden.get(i) === null;

  // Signals as per-item flags: a few binary searches instead of Set lookups per path.
  const ISSUE = 1;
  const UNCOMMITTED = 2;
  const RECENT = 4;
  const flagOf = new Map<number, number>();
  const hitsOf = new Map<number, number>();
  const extraIndex = new Map(extra.map((e, j) => [e.path, view.count + j]));
  const mark = (p: string, bit: number): void => {
    const i = extraIndex.get(p) ?? (view.count > 0 ? binarySearch(paths, p) : -1);
    if (i >= 0) flagOf.set(i, (flagOf.get(i) ?? 0) | bit);
  };
  for (const p of sig.issueFiles) mark(p, ISSUE);
  for (const p of sig.uncommitted.keys()) mark(p, UNCOMMITTED);
  for (const p of sig.recentCommitFiles) mark(p, RECENT);
  if (needLower) {
    // Query hints: the one O(n) pass, only for requests that carry `q`.
    const terms = sig.queryTerms;
    for (let i = 0; i < n; i++) {
      const l = lowerOf(i);
      let hits = 0;
      for (const t of terms) if (l.includes(t)) hits++;
      if (hits > 0) hitsOf.set(i, hits);
    }
  }

  const w = scorer.profile.weights;
  const now = sig.now;
  const staticOf = (i: number): number => (i < view.count ? base[i]! : extra[i - view.count]!.st);
  // Exact relevance; the list key uses only stable parts (static + issue files + query), so
  // editing a file never reorders project_structure.files.
  const total = (i: number): number => {
    const st = staticOf(i);
    if (st === -Infinity) return -Infinity;
    const f = flagOf.get(i) ?? 0;
    return st + scorer.dynamicFrom((f & ISSUE) !== 0, (f & UNCOMMITTED) !== 0, (f & RECENT) !== 0, hitsOf.get(i) ?? 0, now - mtimeOf(i));
  };
  const listKey = (i: number): number => {
    const st = staticOf(i);
    let lk = st === -Infinity ? -1e9 : st;
    if ((flagOf.get(i) ?? 0) & ISSUE) lk += w.issue_files;
    const hits = hitsOf.get(i) ?? 0;
    if (hits > 0) lk += w.query * Math.min(hits, 3);
    return lk;
  };
  let deletedCount = 0;
  for (const v of overridden.values()) if (v === null) deletedCount++;
  const inputs: RankInputs = {
    baseCount: view.count,
    order: staticOrder(snap, scorer, base),
    staticOf,
    isDeleted: deleted,
    extras: extra.map((_, j) => view.count + j),
    flagged: [...new Set([...flagOf.keys(), ...hitsOf.keys()])],
    total,
    listKey,
    maxUnflaggedDynamic: Math.max(0, w.recency),
    later: (a, b) => (a < view.count && b < view.count ? a > b : pathOf(a) > pathOf(b)),
    liveCount: n - deletedCount,
  };
  const { listed, truncated: filesTruncated } = selectListed(inputs, task.structureMaxFiles);
  const listCutoff = filesTruncated && listed.length > 0 ? listKey(listed[listed.length - 1]!) : -Infinity;
  const tRank = performance.now();

  // Candidates, best first; read until max_files files are accepted.
  const candidates = selectCandidates(inputs, Math.min(n, task.maxFiles * 3 + 20));
  const items: Array<{ i: number; memo: ContentMemo }> = [];
  const considered: string[] = [];
  let redactions = 0;
  for (const i of candidates) {
    if (items.length >= task.maxFiles) break;
    const rel = pathOf(i);
    if (rules.isSecretFile(rel)) continue;
    const memo = readForContext(task.realRoot, rel, task.maxFileBytes, { size: sizeOf(i), mtimeMs: mtimeOf(i) });
    if (!memo || memo.text === null) {
      considered.push(rel);
      continue;
    }
    items.push({ i, memo });
  }
  const fitted = fitBudget(items.map((it) => ({ text: it.memo.text!, bytes: it.memo.bytes })), task.maxBytes, task.strategy);
  const relevantFiles: RelevantFile[] = [];
  let selectionCutoff = Infinity;
  for (const p of fitted.placed) {
    const { i, memo } = items[p.index]!;
    const rel = pathOf(i);
    redactions += memo.redactions;
    selectionCutoff = Math.min(selectionCutoff, total(i));
    relevantFiles.push({
      path: rel,
      content: p.text,
      last_modified: new Date(memo.mtimeMs).toISOString(),
      size: memo.size,
      language: LANGUAGE_NAMES[langOf(i)] ?? 'other',
      checksum: memo.checksum,
      truncated: p.truncated,
      reason: scorer.explain(rel, kindsOf(i), langOf(i), mtimeOf(i), sig),
    });
  }
  // Files read but dropped by the budget are "considered" too: a shrink could let them in.
  const placedIdx = new Set(fitted.placed.map((p) => p.index));
  items.forEach((it, j) => {
    if (!placedIdx.has(j)) considered.push(pathOf(it.i));
  });
  const listedPaths = listed.map(pathOf);
  const tEnd = performance.now();
  return {
    ok: true,
    relevantFiles,
    files: listedPaths,
    filesTruncated,
    directories: ancestorDirs(listedPaths),
    truncated: fitted.truncated,
    contentBytes: fitted.totalBytes,
    selectionCutoff,
    listCutoff,
    // Room for more files (or, with `none`, gaps a small file could fill): any new candidate counts.
    selectionOpen: (relevantFiles.length < task.maxFiles && fitted.dropped === 0) || (task.strategy === 'none' && fitted.dropped > 0),
    considered,
    redactions,
    timings: { decodeMs: tDecoded - t0, staticMs: tStatic - tDecoded, rankMs: tRank - tStatic, readMs: tEnd - tRank, totalMs: tEnd - t0 },
  };
}

function binarySearch(sorted: readonly string[], p: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === p) return mid;
    if (v < p) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
