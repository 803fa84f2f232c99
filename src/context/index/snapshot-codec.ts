import { createClassifier } from '../files/file-kinds.js';
import type { IndexChange, OverlayEntry, SnapshotBuffers } from '../pool/worker-protocol.js';

/**
 * Encode / read index snapshots held in SharedArrayBuffers (see SnapshotBuffers). The scan
 * worker encodes; build workers decode once per snapshot id; the main thread reads single
 * entries by binary search without ever materialising 50k strings (that alone is tens of ms
 * of event-loop time).
 */

export interface SnapshotEntry {
  path: string;
  size: number;
  mtimeMs: number;
}

export type Classifier = (relPath: string) => { kinds: number; languageId: number; depth: number };

/**
 * Encode sorted entries (the caller sorts). Classification happens here, once per path,
 * unless the caller passes a classifier that already knows most paths.
 */
export function encodeSnapshot(id: string, entries: readonly SnapshotEntry[], classify: Classifier = createClassifier()): SnapshotBuffers {
  const count = entries.length;
  // Written straight into the shared buffer: one Buffer per path was 50k short-lived objects.
  let byteLen = 0;
  for (const e of entries) byteLen += Buffer.byteLength(e.path, 'utf8') + 1;
  const pathBytes = new SharedArrayBuffer(Math.max(1, byteLen));
  const offsets = new SharedArrayBuffer((count + 1) * 4);
  const sizes = new SharedArrayBuffer(Math.max(8, count * 8));
  const mtimes = new SharedArrayBuffer(Math.max(8, count * 8));
  const kinds = new SharedArrayBuffer(Math.max(2, count * 2));
  const langs = new SharedArrayBuffer(Math.max(1, count));
  const depths = new SharedArrayBuffer(Math.max(1, count));
  const pb = Buffer.from(pathBytes);
  const off = new Uint32Array(offsets);
  const sz = new Float64Array(sizes);
  const mt = new Float64Array(mtimes);
  const kd = new Uint16Array(kinds);
  const lg = new Uint8Array(langs);
  const dp = new Uint8Array(depths);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const e = entries[i]!;
    off[i] = pos;
    pos += pb.write(e.path, pos, 'utf8');
    pb[pos++] = 0;
    sz[i] = e.size;
    mt[i] = e.mtimeMs;
    const c = classify(e.path);
    kd[i] = c.kinds;
    lg[i] = c.languageId;
    dp[i] = Math.min(255, c.depth);
  }
  off[count] = pos;
  return { id, count, pathBytes, offsets, sizes, mtimes, kinds, langs, depths };
}

/**
 * A classifier that can be warmed with paths ahead of time (while git status runs) and then
 * answers those from memory: kinds, language and depth packed into one number per path.
 */
export function createWarmableClassifier(): { warm(entries: readonly { path: string }[]): void; classify: Classifier } {
  const classifyNew = createClassifier();
  const known = new Map<string, number>();
  const pack = (c: ReturnType<Classifier>): number => c.kinds | (c.languageId << 16) | (Math.min(255, c.depth) << 24);
  return {
    warm(entries) {
      for (const e of entries) known.set(e.path, pack(classifyNew(e.path)));
    },
    classify(p) {
      const k = known.get(p);
      if (k === undefined) return classifyNew(p);
      return { kinds: k & 0xffff, languageId: (k >>> 16) & 0xff, depth: k >>> 24 };
    },
  };
}

/** Typed views over a snapshot, with single-entry access for the main thread. */
export class SnapshotView {
  readonly buffers: SnapshotBuffers;
  readonly count: number;
  readonly sizes: Float64Array;
  readonly mtimes: Float64Array;
  readonly kinds: Uint16Array;
  readonly langs: Uint8Array;
  readonly depths: Uint8Array;
  private readonly bytes: Buffer;
  private readonly offsets: Uint32Array;

  constructor(buffers: SnapshotBuffers) {
    this.buffers = buffers;
    this.count = buffers.count;
    this.bytes = Buffer.from(buffers.pathBytes);
    this.offsets = new Uint32Array(buffers.offsets);
    this.sizes = new Float64Array(buffers.sizes);
    this.mtimes = new Float64Array(buffers.mtimes);
    this.kinds = new Uint16Array(buffers.kinds);
    this.langs = new Uint8Array(buffers.langs);
    this.depths = new Uint8Array(buffers.depths);
  }

  pathAt(i: number): string {
    return this.bytes.toString('utf8', this.offsets[i], this.offsets[i + 1]! - 1);
  }

  /** All paths (one decode + split: for workers, memoised per snapshot id). */
  allPaths(): string[] {
    if (this.count === 0) return [];
    const all = this.bytes.toString('utf8', 0, this.offsets[this.count]! - 1);
    return all.split('\0');
  }

  /** Index of `path`, or -1. Paths are sorted in JS string order. */
  indexOf(path: string): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.pathAt(mid);
      if (p === path) return mid;
      if (p < path) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** First index whose path is ≥ `prefix` (for range scans of a directory). */
  lowerBound(prefix: string): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pathAt(mid) < prefix) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Changes between an earlier index (snapshot + overlay) and a fresh sorted listing: used after
 * a rescan so only the cached contexts those paths can affect are invalidated.
 */
export function diffAgainst(previous: SnapshotBuffers, overlay: readonly OverlayEntry[], next: readonly SnapshotEntry[]): IndexChange[] {
  const view = new SnapshotView(previous);
  const over = new Map<string, OverlayEntry>();
  for (const o of overlay) over.set(o[0], o);
  const old = new Map<string, [number, number]>();
  const paths = view.allPaths();
  for (let i = 0; i < view.count; i++) old.set(paths[i]!, [view.sizes[i]!, view.mtimes[i]!]);
  for (const [p, o] of over) {
    if (o.length === 3) old.set(p, [o[1], o[2]]);
    else old.delete(p);
  }
  const changes: IndexChange[] = [];
  for (const e of next) {
    const prev = old.get(e.path);
    if (!prev) changes.push({ path: e.path, kind: 'add' });
    else {
      if (prev[0] !== e.size || prev[1] !== e.mtimeMs) changes.push({ path: e.path, kind: 'change' });
      old.delete(e.path);
    }
  }
  for (const p of old.keys()) changes.push({ path: p, kind: 'unlink' });
  return changes;
}
