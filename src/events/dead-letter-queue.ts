import type { DeadLetter, DeadLetterReason } from './event-bus.js';
import type { StoredEvent } from './event-ring.js';

export interface DeadLetterEntry {
  readonly stored: StoredEvent;
  readonly reason: DeadLetterReason;
  /** Epoch ms. */
  readonly at: number;
}

/**
 * Bounded, oldest-first queue of events that left the buffer undelivered. When full, the oldest
 * dead letter is dropped to make room (counted in `dropped`), so a flood of unwatched events
 * cannot grow memory or the journal without bound.
 */
export class DeadLetterQueue {
  private readonly entries = new Map<string, DeadLetterEntry>();
  /** Taken out for a redrive or purge, until their removal is journalled. */
  private readonly taken = new Map<string, DeadLetterEntry>();
  private bytes = 0;
  dropped = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Bytes of the journal lines of the queued events (compaction accounting). */
  get byteSize(): number {
    return this.bytes;
  }

  /** Returns false when the queue has no room at all (capacity 0). */
  add(entry: DeadLetterEntry): boolean {
    if (this.capacity === 0) {
      this.dropped++;
      return false;
    }
    while (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
      this.dropped++;
    }
    this.entries.set(entry.stored.event.event_id, entry);
    this.bytes += entry.stored.bytes;
    return true;
  }

  get(eventId: string): DeadLetterEntry | undefined {
    return this.entries.get(eventId);
  }

  delete(eventId: string): DeadLetterEntry | undefined {
    const entry = this.entries.get(eventId);
    if (!entry) return undefined;
    this.entries.delete(eventId);
    this.bytes -= entry.stored.bytes;
    return entry;
  }

  clear(): DeadLetterEntry[] {
    const all = [...this.entries.values()];
    this.entries.clear();
    this.bytes = 0;
    return all;
  }

  values(): IterableIterator<DeadLetterEntry> {
    return this.entries.values();
  }

  /** Take a letter out for a redrive; it stays known (see `putBack`, `forget`) until forgotten. */
  take(eventId: string): DeadLetterEntry | undefined {
    const entry = this.delete(eventId);
    if (entry) this.taken.set(eventId, entry);
    return entry;
  }

  /** Take every letter out (a purge). */
  takeAll(): DeadLetterEntry[] {
    const all = this.clear();
    for (const entry of all) this.taken.set(entry.stored.event.event_id, entry);
    return all;
  }

  /** A taken letter whose redrive failed goes back at the end of the queue. */
  putBack(eventId: string): void {
    const entry = this.taken.get(eventId);
    if (!entry) return;
    this.taken.delete(eventId);
    this.add(entry);
  }

  /** Drop taken letters for good; returns those that were taken (their removal is journalled). */
  forget(eventIds: readonly string[]): DeadLetterEntry[] {
    const out: DeadLetterEntry[] = [];
    for (const id of eventIds) {
      const entry = this.taken.get(id);
      if (!entry) continue;
      this.taken.delete(id);
      out.push(entry);
    }
    return out;
  }
}

export function toDeadLetter(entry: DeadLetterEntry): DeadLetter {
  return { ...entry.stored.event, reason: entry.reason, dead_lettered_at: new Date(entry.at).toISOString() };
}
