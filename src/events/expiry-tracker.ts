import type { StoredEvent } from './event-ring.js';

/**
 * Finds events whose TTL ran out *before* older events in the buffer (a short `ttl_seconds`
 * published after long-lived events).
 *
 * Events whose expiry is not earlier than every expiry seen before are "in order": when one of
 * them expires, everything in front of it has expired too, so dropping expired events from the
 * front of the ring finds them. Only the out-of-order rest goes into this min-heap, so the common
 * case (one default TTL) costs one comparison per publish.
 */
export class ExpiryTracker {
  private maxExpirySeen = 0;
  private heap: StoredEvent[] = [];

  /** Call once per event entering the buffer. */
  add(item: StoredEvent): void {
    if (item.expiresAt >= this.maxExpirySeen) {
      this.maxExpirySeen = item.expiresAt;
      return;
    }
    this.heap.push(item);
    this.up(this.heap.length - 1);
  }

  /** Pops every tracked event expired at `now` that is still in the buffer. */
  takeExpired(now: number): StoredEvent[] {
    const out: StoredEvent[] = [];
    while (this.heap.length > 0 && this.heap[0]!.expiresAt <= now) {
      const top = this.pop();
      if (!top.removed) out.push(top);
    }
    return out;
  }

  /** Drops entries for events that already left the buffer when they dominate the heap. */
  prune(liveLimit: number): void {
    if (this.heap.length <= 2 * liveLimit + 64) return;
    const keep = this.heap.filter((e) => !e.removed);
    this.heap = [];
    for (const e of keep) {
      this.heap.push(e);
      this.up(this.heap.length - 1);
    }
  }

  private pop(): StoredEvent {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >>> 1;
      if (h[p]!.expiresAt <= h[i]!.expiresAt) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.expiresAt < h[m]!.expiresAt) m = l;
      if (r < h.length && h[r]!.expiresAt < h[m]!.expiresAt) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
