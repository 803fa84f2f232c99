/**
 * The k best items of a large scored set without sorting all of it: a bounded min-heap, so
 * 50k scores cost O(n log k). Order: higher score first, ties by path ascending (stable,
 * deterministic answers for identical inputs).
 */
export function topK(count: number, k: number, score: (i: number) => number, pathOf: (i: number) => string, accept: (s: number) => boolean): number[] {
  if (k <= 0) return [];
  const heap: number[] = [];
  const scores: number[] = [];
  // "a is worse than b": lower score, or same score and later path.
  const worse = (a: number, sa: number, b: number, sb: number): boolean => sa < sb || (sa === sb && pathOf(a) > pathOf(b));
  const siftUp = (pos: number): void => {
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!worse(heap[pos]!, scores[pos]!, heap[parent]!, scores[parent]!)) break;
      swap(pos, parent);
      pos = parent;
    }
  };
  const siftDown = (pos: number): void => {
    for (;;) {
      const l = 2 * pos + 1;
      const r = l + 1;
      let m = pos;
      if (l < heap.length && worse(heap[l]!, scores[l]!, heap[m]!, scores[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, scores[r]!, heap[m]!, scores[m]!)) m = r;
      if (m === pos) return;
      swap(pos, m);
      pos = m;
    }
  };
  const swap = (a: number, b: number): void => {
    [heap[a], heap[b]] = [heap[b]!, heap[a]!];
    [scores[a], scores[b]] = [scores[b]!, scores[a]!];
  };
  for (let i = 0; i < count; i++) {
    const s = score(i);
    if (!accept(s)) continue;
    if (heap.length < k) {
      heap.push(i);
      scores.push(s);
      siftUp(heap.length - 1);
    } else if (worse(heap[0]!, scores[0]!, i, s)) {
      heap[0] = i;
      scores[0] = s;
      siftDown(0);
    }
  }
  const order = heap.map((i, j) => [i, scores[j]!] as const);
  order.sort((a, b) => (b[1] - a[1]) || (pathOf(a[0]) < pathOf(b[0]) ? -1 : pathOf(a[0]) > pathOf(b[0]) ? 1 : 0));
  return order.map((o) => o[0]);
}
