/**
 * Ranked selection without scoring every file on every request. Per (index snapshot, profile)
 * the worker keeps the files in static-score order; a request then only needs exact scores
 * for the few files with a signal (issue file, uncommitted, recent commit, query hit) and for
 * the head of that order: an unsigned file's total is at most its static score plus the
 * recency weight, so the walk stops as soon as that bound falls below the k-th best total.
 * 50k files cost O(k + signalled files) per request instead of O(50k).
 *
 * Ties are broken by path (ascending) everywhere, so results equal a full sort exactly
 * (tested against the brute force in test/context/select-ranked.test.ts).
 */

export interface RankInputs {
  /** Base (snapshot) items are 0..baseCount-1, sorted by path; extras follow. */
  baseCount: number;
  /** Base indices by static score descending, index ascending (-Infinity last). */
  order: Uint32Array;
  staticOf(i: number): number;
  isDeleted(i: number): boolean;
  /** Items added since the snapshot (indices ≥ baseCount). */
  extras: readonly number[];
  /** Items whose dynamic part is more than recency (signals, query hits): scored exactly. */
  flagged: readonly number[];
  /** Exact relevance (static + dynamic); -Infinity = never relevant. */
  total(i: number): number;
  /** Exact structure-list key (static or -1e9, + issue/query boosts). */
  listKey(i: number): number;
  /** Upper bound of total − static for an item that is not flagged (the recency weight). */
  maxUnflaggedDynamic: number;
  /** Path of item a sorts after item b. */
  later(a: number, b: number): boolean;
  /** Items that exist (base − deleted + extras). */
  liveCount: number;
}

class MinHeap {
  readonly items: number[] = [];
  readonly scores: number[] = [];
  constructor(private readonly later: (a: number, b: number) => boolean) {}

  /** a (score sa) ranks below b (score sb). */
  worse(a: number, sa: number, b: number, sb: number): boolean {
    return sa < sb || (sa === sb && this.later(a, b));
  }

  push(i: number, s: number, k: number): void {
    const h = this.items;
    const sc = this.scores;
    if (h.length < k) {
      h.push(i);
      sc.push(s);
      let pos = h.length - 1;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (!this.worse(h[pos]!, sc[pos]!, h[parent]!, sc[parent]!)) break;
        this.swap(pos, parent);
        pos = parent;
      }
      return;
    }
    if (!this.worse(h[0]!, sc[0]!, i, s)) return;
    h[0] = i;
    sc[0] = s;
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      const r = l + 1;
      let m = pos;
      if (l < h.length && this.worse(h[l]!, sc[l]!, h[m]!, sc[m]!)) m = l;
      if (r < h.length && this.worse(h[r]!, sc[r]!, h[m]!, sc[m]!)) m = r;
      if (m === pos) return;
      this.swap(pos, m);
      pos = m;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.items;
    const sc = this.scores;
    [h[a], h[b]] = [h[b]!, h[a]!];
    [sc[a], sc[b]] = [sc[b]!, sc[a]!];
  }

  sorted(): number[] {
    const pairs = this.items.map((i, j) => [i, this.scores[j]!] as const);
    pairs.sort((a, b) => b[1] - a[1] || (this.later(a[0], b[0]) ? 1 : this.later(b[0], a[0]) ? -1 : 0));
    return pairs.map((p) => p[0]);
  }
}

/** The k most relevant items with a positive total, best first. */
export function selectCandidates(inp: RankInputs, k: number): number[] {
  if (k <= 0) return [];
  const heap = new MinHeap((a, b) => inp.later(a, b));
  const seen = new Set<number>();
  for (const i of [...inp.flagged, ...inp.extras]) {
    if (seen.has(i) || inp.isDeleted(i)) continue;
    seen.add(i);
    const t = inp.total(i);
    if (t > 0) heap.push(i, t, k);
  }
  for (let j = 0; j < inp.order.length; j++) {
    const i = inp.order[j]!;
    const st = inp.staticOf(i);
    if (st === -Infinity) break;
    // Every later item has a static score ≤ st: stop when even the best case cannot enter.
    if (heap.items.length >= k && st + inp.maxUnflaggedDynamic < heap.scores[0]!) break;
    if (seen.has(i) || inp.isDeleted(i)) continue;
    const t = inp.total(i);
    if (t > 0) heap.push(i, t, k);
  }
  return heap.sorted();
}

/** The structure list: the `cap` best items by list key, and whether anything was left out. */
export function selectListed(inp: RankInputs, cap: number): { listed: number[]; truncated: boolean } {
  const special = [...new Set([...inp.flagged, ...inp.extras])].filter((i) => !inp.isDeleted(i));
  const specialSet = new Set(special);
  const keyOf = new Map(special.map((i) => [i, inp.listKey(i)] as const));
  special.sort((a, b) => keyOf.get(b)! - keyOf.get(a)! || (inp.later(a, b) ? 1 : inp.later(b, a) ? -1 : 0));
  const listed: number[] = [];
  let s = 0;
  for (let j = 0; j < inp.order.length && listed.length < cap; j++) {
    const i = inp.order[j]!;
    if (specialSet.has(i) || inp.isDeleted(i)) continue;
    const key = inp.listKey(i);
    // Merge the special items that rank before this one.
    while (s < special.length && listed.length < cap) {
      const sp = special[s]!;
      const spKey = keyOf.get(sp)!;
      if (spKey > key || (spKey === key && inp.later(i, sp))) listed.push(special[s++]!);
      else break;
    }
    if (listed.length < cap) listed.push(i);
  }
  while (s < special.length && listed.length < cap) listed.push(special[s++]!);
  return { listed, truncated: inp.liveCount > listed.length };
}
