/**
 * One timer for many deadlines (lease expiries, gate timeouts): a binary min-heap of
 * `(at, key)` and a single `setTimeout` armed for the earliest one, so expiry costs O(log n) per
 * change and nothing polls the live set. Rescheduling a key leaves its old heap entry behind; it
 * is skipped when popped (lazy deletion), and the heap is rebuilt when stale entries dominate.
 *
 * @example
 * const t = new DeadlineTimer((key) => expire(key)); t.schedule('lease:L1', Date.now() + 300_000);
 */
export class DeadlineTimer {
  private heap: Array<{ at: number; key: string }> = [];
  private readonly current = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly onDue: (key: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.current.size;
  }

  schedule(key: string, at: number): void {
    if (this.closed) return;
    this.current.set(key, at);
    this.push({ at, key });
    if (this.heap.length > 1_024 && this.heap.length > 4 * this.current.size) this.rebuild();
    this.arm();
  }

  cancel(key: string): void {
    this.current.delete(key);
  }

  /** Fire every key that is due now (also called by the timer). */
  runDue(): void {
    const now = this.now();
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.pop();
      if (this.current.get(top.key) !== top.at) continue;
      this.current.delete(top.key);
      this.onDue(top.key);
    }
    this.arm();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap = [];
    this.current.clear();
  }

  private arm(): void {
    if (this.closed) return;
    // Drop stale tops so the timer is armed for a live deadline.
    while (this.heap[0] && this.current.get(this.heap[0].key) !== this.heap[0].at) this.pop();
    const top = this.heap[0];
    const at = top ? top.at : Number.POSITIVE_INFINITY;
    if (at === this.armedAt && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = at;
    if (!top) return;
    // setTimeout caps at 2^31-1 ms; re-arming then is harmless.
    const delay = Math.min(Math.max(0, at - this.now()), 2_147_483_647);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedAt = Number.POSITIVE_INFINITY;
      this.runDue();
    }, delay);
    this.timer.unref();
  }

  private rebuild(): void {
    this.heap = [];
    for (const [key, at] of this.current) this.push({ at, key });
  }

  private push(item: { at: number; key: string }): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (h.length === 0 || !last) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.at < h[m]!.at) m = l;
      if (r < h.length && h[r]!.at < h[m]!.at) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
