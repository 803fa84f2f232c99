import { RateLimitError } from '../errors/index.js';
import type { EventFilter } from './event-filter.js';
import type { WaitResult } from './event-bus.js';

/** A blocked wait. */
export interface Waiter {
  readonly eventType: string;
  readonly topic: string | undefined;
  readonly filter: EventFilter;
  readonly issueScope: string | undefined;
  readonly limit: number;
  readonly subscriberId: string;
  readonly capKey: string;
  /** Answer the wait; called exactly once, after the registry dropped the waiter. */
  readonly settle: (result: WaitResult) => void;
  timer?: NodeJS.Timeout;
  detachAbort?: () => void;
}

export interface WaitCaps {
  perKey: number;
  total: number;
}

/**
 * The blocked waits, indexed by event type so a publish only looks at waits that can match it,
 * with the concurrency caps (spec §4: 256 per token, 10,000 in total by default; HAZARDS.md: an
 * uncapped long-poll route held 8,000 waits from one client).
 */
export class WaiterRegistry {
  private readonly byType = new Map<string, Set<Waiter>>();
  private readonly perKey = new Map<string, number>();
  private count = 0;

  constructor(private readonly caps: WaitCaps) {}

  get size(): number {
    return this.count;
  }

  get totalCap(): number {
    return this.caps.total;
  }

  /** Throws `RateLimitError` (429 RATE_001) when `capKey` or the whole bus is at its cap. */
  assertCapacity(capKey: string): void {
    if (this.count >= this.caps.total) {
      throw new RateLimitError('Too many concurrent waits on this sidecar', 1, this.caps.total, { scope: 'total' });
    }
    if ((this.perKey.get(capKey) ?? 0) >= this.caps.perKey) {
      throw new RateLimitError('Too many concurrent waits for this token', 1, this.caps.perKey, { scope: 'token' });
    }
  }

  add(waiter: Waiter): void {
    let set = this.byType.get(waiter.eventType);
    if (!set) this.byType.set(waiter.eventType, (set = new Set()));
    set.add(waiter);
    this.perKey.set(waiter.capKey, (this.perKey.get(waiter.capKey) ?? 0) + 1);
    this.count++;
  }

  /** Idempotent; returns false when the waiter was already gone (answered, timed out, aborted). */
  remove(waiter: Waiter): boolean {
    const set = this.byType.get(waiter.eventType);
    if (!set?.delete(waiter)) return false;
    if (set.size === 0) this.byType.delete(waiter.eventType);
    const n = (this.perKey.get(waiter.capKey) ?? 1) - 1;
    if (n <= 0) this.perKey.delete(waiter.capKey);
    else this.perKey.set(waiter.capKey, n);
    this.count--;
    return true;
  }

  /** Snapshot of the waits for any of `types` or for `*` (safe to remove while iterating it). */
  candidates(types: Iterable<string>): Waiter[] {
    const out: Waiter[] = [];
    for (const type of types) {
      const set = this.byType.get(type);
      if (set) for (const w of set) out.push(w);
    }
    const star = this.byType.get('*');
    if (star) for (const w of star) out.push(w);
    return out;
  }

  all(): Waiter[] {
    const out: Waiter[] = [];
    for (const set of this.byType.values()) for (const w of set) out.push(w);
    return out;
  }
}
