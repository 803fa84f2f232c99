import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ancestorDirs } from '../../files/ancestor-dirs.js';
import type { AgentProfile } from '../../ranking/agent-profiles.js';
import { fitBudget } from '../../ranking/budget.js';
import { classify } from '../../files/file-kinds.js';
import { LANGUAGE_NAMES } from '../../files/languages.js';
import { PathRules, type PathRulesOptions } from '../../files/path-rules.js';
import { mayCarryToken, textCarriesToken } from '../../files/token-files.js';
import { listRankKey, prepareSignals, ProfileScorer, type PreparedSignals } from '../../ranking/ranking.js';
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

/** Memos keyed by `<snapshot id>|<profile key>`, dropped with their snapshot. */
const statics = new LRUCache<string, Float64Array>({ max: 64 });
const orders = new LRUCache<string, Uint32Array>({ max: 64 });
/**
 * A new scan replaces the old one; keep two for requests racing a rescan. Read with `peek`, so
 * the oldest scan (not the least recently read) is the one dropped.
 */
const snapshots = new LRUCache<string, DecodedSnapshot>({
  max: 2,
  dispose: (_snap, id) => {
    for (const k of [...statics.keys()]) if (k.startsWith(id + '|')) statics.delete(k);
    for (const k of [...orders.keys()]) if (k.startsWith(id + '|')) orders.delete(k);
  },
});
const scorers = new LRUCache<string, ProfileScorer>({ max: 256 });
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
  /** Over max_file_bytes: `text` is its head and tail (bounded reads) around a marker. */
  cut: boolean;
  /** Why it could not be read at all (listed with `truncated: true`), else null. */
  failure: string | null;
}

/** Files offered to the code map at most. */
const MAP_CANDIDATES = 60;

/** Share of max_file_bytes read from the head of an oversize file (the rest from its tail). */
const HEAD_SHARE = 0.6;
const CONTENT_MEMO_BYTES = 48 * 1024 * 1024;
/** Redacted contents, bounded by their bytes (binary and rejected files count one byte). */
const contents = new LRUCache<string, ContentMemo>({ maxSize: CONTENT_MEMO_BYTES, sizeCalculation: (memo) => Math.max(1, memo.bytes) });

function decoded(buffers: SnapshotBuffers): DecodedSnapshot {
  let d = snapshots.peek(buffers.id);
  if (!d) {
    const view = new SnapshotView(buffers);
    d = { view, paths: view.allPaths(), lower: null };
    snapshots.set(buffers.id, d);
  }
  return d;
}

function scorerFor(profile: AgentProfile): ProfileScorer {
  let s = scorers.get(profile.key);
  if (!s) {
    s = new ProfileScorer(profile);
    scorers.set(profile.key, s);
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
  }
  return arr;
}

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
  }
  return order;
}

function readForContext(realRoot: string, rel: string, maxFileBytes: number, indexed: { size: number; mtimeMs: number }): ContentMemo | null {
  // The index is kept current by the watcher (or a TTL rescan): when it still reports the
  // size and mtime the memo was read with, the content is the same, and re-opening and
  // fstat'ing 50 files per request (~130 µs each) would only cost time. What the memo holds
  // was read through the contained, no-follow path, so serving it never leaks anything.
  const known = contents.get(rel);
  if (known && known.size === indexed.size && known.mtimeMs === indexed.mtimeMs) return known;
  const r = readContainedFileSync(realRoot, rel, maxFileBytes, { sliceOver: { head: Math.floor(maxFileBytes * HEAD_SHARE) } });
  if (!r.ok) {
    // Permission or I/O errors: the agent should know the file exists and was not read.
    // (Missing, symlinked or out-of-root paths stay silent: they are not the project's files.)
    if (r.reason !== 'unreadable') return null;
    return {
      key: '',
      size: indexed.size,
      mtimeMs: indexed.mtimeMs,
      text: null,
      checksum: '',
      redactions: 0,
      bytes: 0,
      rejected: null,
      cut: false,
      failure: 'not read: the file could not be opened or read (permission denied or I/O error)',
    };
  }
  const st = r.stats;
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const memo = contents.peek(rel);
  if (memo && memo.key === key) {
    contents.get(rel);
    return memo;
  }
  // A cut file's checksum covers the bytes read (head and tail): reading all of a huge file
  // only to hash it is what the bounded reads avoid.
  const hash = createHash('sha256').update(r.data);
  if (r.tail) hash.update(r.tail);
  const checksum = 'sha256:' + hash.digest('hex');
  let value: ContentMemo;
  const stat = { size: st.size, mtimeMs: st.mtimeMs, cut: r.tail !== undefined, failure: null };
  if (looksBinary(r.data)) value = { key, ...stat, text: null, checksum, redactions: 0, bytes: 0, rejected: 'binary' };
  else {
    const raw = r.tail ? joinSlices(r.data, r.tail, st.size) : r.data.toString('utf8');
    if (mayCarryToken(rel) && textCarriesToken(raw)) {
      value = { key, ...stat, text: null, checksum, redactions: 0, bytes: 0, rejected: 'secret' };
    } else {
      const red = redactSecrets(raw);
      value = { key, ...stat, text: red.text, checksum, redactions: red.count, bytes: Buffer.byteLength(red.text), rejected: null };
    }
  }
  contents.set(rel, value);
  return value;
}

/**
 * Head and tail of an oversize file around a marker, each cut at a line boundary (so no
 * partial line or split UTF-8 sequence is sent) when one is near.
 */
function joinSlices(head: Buffer, tail: Buffer, size: number): string {
  const nl = head.lastIndexOf(0x0a);
  const h = nl >= head.length / 2 ? head.subarray(0, nl + 1) : head;
  const first = tail.indexOf(0x0a);
  const t = first >= 0 && first < tail.length / 2 ? tail.subarray(first + 1) : tail;
  const omitted = size - h.length - t.length;
  return `${h.toString('utf8')}${h.length > 0 && h[h.length - 1] !== 0x0a ? '\n' : ''}… [cco: truncated ${omitted} bytes of ${size}: over max_file_bytes] …\n${t.toString('utf8')}`;
}

/** Build the file part of a context. Throws only on programming errors (the entry point wraps it). */
export function buildContext(task: BuildTask): BuildResult {
  const t0 = performance.now();
  const snap = decoded(task.snapshot);
  const tDecoded = performance.now();
  if (task.prime) {
    // Decoding is all the first real request would otherwise wait for on this thread.
    return {
      ok: true,
      relevantFiles: [],
      files: [],
      filesTruncated: false,
      directories: [],
      truncated: false,
      contentBytes: 0,
      selectionCutoff: Infinity,
      listCutoff: -Infinity,
      selectionOpen: true,
      considered: [],
      mapCandidates: [],
      redactions: 0,
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
      extra.push({
        path: o[0],
        size: val[0],
        mtimeMs: val[1],
        kinds: c.kinds,
        lang: c.languageId,
        depth: c.depth,
        st: scorer.staticScore(o[0], c.kinds, c.languageId, c.depth),
      });
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
  const issuePoints = new Map<number, number>();
  const extraIndex = new Map(extra.map((e, j) => [e.path, view.count + j]));
  const mark = (p: string, bit: number): void => {
    const i = extraIndex.get(p) ?? (view.count > 0 ? binarySearch(paths, p) : -1);
    if (i >= 0) flagOf.set(i, (flagOf.get(i) ?? 0) | bit);
  };
  for (const p of sig.issueFiles) mark(p, ISSUE);
  for (const p of sig.uncommitted.keys()) mark(p, UNCOMMITTED);
  for (const p of sig.recentCommitFiles) mark(p, RECENT);
  for (const [p, [points]] of sig.issueHits) {
    const i = extraIndex.get(p) ?? (view.count > 0 ? binarySearch(paths, p) : -1);
    if (i >= 0) issuePoints.set(i, points);
  }
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
    return (
      st + scorer.dynamicFrom((f & ISSUE) !== 0, (f & UNCOMMITTED) !== 0, (f & RECENT) !== 0, hitsOf.get(i) ?? 0, now - mtimeOf(i)) + (issuePoints.get(i) ?? 0)
    );
  };
  const listKey = (i: number): number => listRankKey(staticOf(i), ((flagOf.get(i) ?? 0) & ISSUE) !== 0, hitsOf.get(i) ?? 0, w) + (issuePoints.get(i) ?? 0);
  let deletedCount = 0;
  for (const v of overridden.values()) if (v === null) deletedCount++;
  const inputs: RankInputs = {
    baseCount: view.count,
    order: staticOrder(snap, scorer, base),
    staticOf,
    isDeleted: deleted,
    extras: extra.map((_, j) => view.count + j),
    flagged: [...new Set([...flagOf.keys(), ...hitsOf.keys(), ...issuePoints.keys()])],
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
  const unread: Array<{ i: number; memo: ContentMemo }> = [];
  const considered: string[] = [];
  let redactions = 0;
  for (const i of candidates) {
    if (items.length + unread.length >= task.maxFiles) break;
    const rel = pathOf(i);
    if (rules.isSecretFile(rel)) continue;
    const memo = readForContext(task.realRoot, rel, task.maxFileBytes, { size: sizeOf(i), mtimeMs: mtimeOf(i) });
    if (memo?.failure) unread.push({ i, memo });
    if (!memo || memo.text === null) {
      considered.push(rel);
      continue;
    }
    items.push({ i, memo });
  }
  // The code map's share of the budget is kept out of the contents (the service fills it).
  const contentBudget = Math.max(1, task.maxBytes - Math.floor(task.maxBytes * (task.codeMapShare ?? 0)));
  const fitted = fitBudget(
    items.map((it) => ({ text: it.memo.text!, bytes: it.memo.bytes })),
    contentBudget,
    task.strategy,
  );
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
      truncated: p.truncated || memo.cut,
      reason: scorer.explain(rel, kindsOf(i), langOf(i), mtimeOf(i), sig) + (memo.cut ? '; cut to head and tail (over max_file_bytes)' : ''),
    });
  }
  for (const { i, memo } of unread) {
    relevantFiles.push({
      path: pathOf(i),
      content: '',
      last_modified: new Date(mtimeOf(i)).toISOString(),
      size: sizeOf(i),
      language: LANGUAGE_NAMES[langOf(i)] ?? 'other',
      checksum: '',
      truncated: true,
      reason: memo.failure!,
    });
  }
  // Files read but dropped by the budget are "considered" too: a shrink could let them in.
  const placedIdx = new Set(fitted.placed.map((p) => p.index));
  items.forEach((it, j) => {
    if (!placedIdx.has(j)) considered.push(pathOf(it.i));
  });
  const listedPaths = listed.map(pathOf);
  // Next most relevant files that did not arrive whole, best first: their definitions make the
  // code map. Cut files, then files dropped by the budget, then candidates never read.
  const mapCandidates: string[] = [];
  for (const p of fitted.placed) if (p.truncated || items[p.index]!.memo.cut) mapCandidates.push(pathOf(items[p.index]!.i));
  items.forEach((it, j) => {
    if (!placedIdx.has(j)) mapCandidates.push(pathOf(it.i));
  });
  const seen = new Set(items.map((it) => it.i));
  for (const i of candidates) {
    if (mapCandidates.length >= MAP_CANDIDATES) break;
    if (!seen.has(i) && !rules.isSecretFile(pathOf(i))) mapCandidates.push(pathOf(i));
  }
  mapCandidates.length = Math.min(mapCandidates.length, MAP_CANDIDATES);
  const tEnd = performance.now();
  return {
    ok: true,
    relevantFiles,
    files: listedPaths,
    filesTruncated,
    directories: ancestorDirs(listedPaths),
    truncated: fitted.truncated || unread.length > 0 || fitted.placed.some((p) => items[p.index]!.memo.cut),
    contentBytes: fitted.totalBytes,
    selectionCutoff,
    listCutoff,
    // Room for more files (or, with `none`, gaps a small file could fill): any new candidate counts.
    selectionOpen: (relevantFiles.length < task.maxFiles && fitted.dropped === 0) || (task.strategy === 'none' && fitted.dropped > 0),
    considered,
    mapCandidates,
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
