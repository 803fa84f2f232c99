import type { BusEvent } from './event-bus.js';

/** An event as the embedded bus keeps it: the wire object plus bookkeeping. */
export interface StoredEvent {
  readonly seq: number;
  readonly event: BusEvent;
  /** The journal line (with its newline), kept so compaction never re-serialises. */
  readonly line: string;
  /** Byte length of `line`: the memory/journal accounting unit. */
  readonly bytes: number;
  /** Epoch milliseconds after which the event is no longer served. */
  readonly expiresAt: number;
  /** Delivered to at least one waiter (then it never becomes a dead letter). */
  delivered: boolean;
  /** Left the buffer (expired in the middle, or evicted); skipped by reads, dropped at the front. */
  removed: boolean;
}

/**
 * Events in ascending `seq` order, appended at the back, dropped at the front.
 *
 * Why not a fixed circular array indexed by seq: an event with a short TTL may leave from the
 * middle, and a failed journal write leaves no gap to index around. Lookup by seq is a binary
 * search instead (14 steps for 10,000 events); the front is dropped by moving an offset and the
 * array is compacted only when half of it is dead, so shift stays O(1) amortised.
 */
export class EventRing {
  private items: (StoredEvent | undefined)[] = [];
  private start = 0;

  /** Physical length, including events flagged `removed` that have not reached the front yet. */
  get length(): number {
    return this.items.length - this.start;
  }

  push(item: StoredEvent): void {
    this.items.push(item);
  }

  front(): StoredEvent | undefined {
    return this.items[this.start];
  }

  back(): StoredEvent | undefined {
    return this.length > 0 ? this.items[this.items.length - 1] : undefined;
  }

  shift(): StoredEvent | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.start];
    this.items[this.start] = undefined;
    this.start++;
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
    return item;
  }

  /** The item at logical index `i` (0 = front). */
  at(i: number): StoredEvent {
    return this.items[this.start + i]!;
  }

  /** Logical index of the first item whose seq is greater than `seq` (= length when none). */
  indexAfter(seq: number): number {
    let lo = this.start;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.start;
  }

  find(seq: number): StoredEvent | undefined {
    const i = this.indexAfter(seq - 1);
    const item = i < this.length ? this.at(i) : undefined;
    return item?.seq === seq ? item : undefined;
  }

  *values(): IterableIterator<StoredEvent> {
    for (let i = this.start; i < this.items.length; i++) yield this.items[i]!;
  }
}
