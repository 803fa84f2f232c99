import { LRUCache } from 'lru-cache';

/** What the cache needs to know about a value. */
export interface Cacheable {
  issueId: string;
  /** Approximate size in bytes (content + listings), the LRU's unit. */
  bytes: number;
}

export interface ClearResult {
  entries_removed: number;
  bytes_freed: number;
}

interface Inflight<V> {
  promise: Promise<V>;
  issueId: string;
  /** Set when something this build may depend on changed while it ran: its result is not stored. */
  stale: boolean;
}

/**
 * LRU of built contexts bounded by bytes (lru-cache `maxSize` + `sizeCalculation`), with an
 * index by issue for precise clearing, and single-flight: concurrent misses for one key share
 * one build. A build that was overtaken by an invalidation still answers the requests that
 * joined it (they were asked before the change) but is not stored, and later requests start a
 * new build instead of joining it.
 */
export class ContextCache<V extends Cacheable> {
  private readonly lru: LRUCache<string, V>;
  private readonly byIssue = new Map<string, Set<string>>();
  private readonly inflight = new Map<string, Inflight<V>>();
  hits = 0;
  misses = 0;
  builds = 0;

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, V>({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (v) => Math.max(1, v.bytes),
      dispose: (v, key, reason) => {
        // An overwrite keeps the key in the issue index (the new value is added right after).
        if (reason === 'set') return;
        const set = this.byIssue.get(v.issueId);
        if (set) {
          set.delete(key);
          if (set.size === 0) this.byIssue.delete(v.issueId);
        }
      },
    });
  }

  get(key: string): V | undefined {
    return this.lru.get(key);
  }

  /** Store unless the value alone is larger than the whole cache. */
  set(key: string, value: V): boolean {
    if (value.bytes > this.lru.maxSize) return false;
    this.lru.set(key, value);
    if (!this.lru.has(key)) return false;
    let set = this.byIssue.get(value.issueId);
    if (!set) this.byIssue.set(value.issueId, (set = new Set()));
    set.add(key);
    return true;
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /** Live entries (for invalidation checks); does not touch recency. */
  *entries(): IterableIterator<[string, V]> {
    for (const [k, v] of this.lru.entries()) yield [k, v];
  }

  /**
   * Run `build` once per key at a time. Returns the value and whether this call joined a
   * build that was already running.
   */
  async singleFlight(key: string, issueId: string, build: () => Promise<V>, store: (v: V) => boolean = () => true): Promise<{ value: V; joined: boolean }> {
    const running = this.inflight.get(key);
    if (running && !running.stale) return { value: await running.promise, joined: true };
    this.builds++;
    const entry: Inflight<V> = { promise: undefined as unknown as Promise<V>, issueId, stale: false };
    entry.promise = (async () => {
      try {
        const v = await build();
        if (!entry.stale && store(v)) this.set(key, v);
        return v;
      } finally {
        if (this.inflight.get(key) === entry) this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, entry);
    return { value: await entry.promise, joined: false };
  }

  /** Mark running builds stale (all, or those of one issue). */
  markInflightStale(issueId?: string): void {
    for (const e of this.inflight.values()) if (issueId === undefined || e.issueId === issueId) e.stale = true;
  }

  /** Remove entries matching `pred`. */
  removeWhere(pred: (v: V, key: string) => boolean): ClearResult {
    let entries = 0;
    let bytes = 0;
    for (const [k, v] of [...this.lru.entries()]) {
      if (!pred(v, k)) continue;
      entries++;
      bytes += Math.max(1, v.bytes);
      this.lru.delete(k);
    }
    return { entries_removed: entries, bytes_freed: bytes };
  }

  clearIssue(issueId: string): ClearResult {
    this.markInflightStale(issueId);
    const keys = [...(this.byIssue.get(issueId) ?? [])];
    let bytes = 0;
    let entries = 0;
    for (const k of keys) {
      const v = this.lru.peek(k);
      if (!v) continue;
      entries++;
      bytes += Math.max(1, v.bytes);
      this.lru.delete(k);
    }
    return { entries_removed: entries, bytes_freed: bytes };
  }

  clearAll(): ClearResult {
    this.markInflightStale();
    const result = { entries_removed: this.lru.size, bytes_freed: this.lru.calculatedSize };
    this.lru.clear();
    this.byIssue.clear();
    return result;
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get maxBytes(): number {
    return this.lru.maxSize;
  }

  hitRate(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 0 : this.hits / total;
  }
}
