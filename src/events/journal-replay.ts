import type { DeadLetterReason } from './event-bus.js';
import type { EventRecord, HeaderRecord, JournalRecord } from './journal-records.js';

/** State collected while reading the journal at open: what is still live, delivered or dead. */
export class ReplayState {
  header: HeaderRecord | undefined;
  readonly events = new Map<number, { rec: EventRecord; line: string }>();
  readonly delivered = new Set<number>();
  /** Dead letters in the order they were dead-lettered. */
  readonly dead = new Map<number, { reason: DeadLetterReason; at: number }>();

  visit(rec: JournalRecord, line: string): void {
    switch (rec.t) {
      case 'h':
        this.header ??= rec;
        break;
      case 'e':
        this.events.set(rec.s, { rec, line });
        break;
      case 'd':
        for (const s of rec.s) this.delivered.add(s);
        break;
      case 'x':
        this.dead.delete(rec.s);
        this.dead.set(rec.s, { reason: rec.r, at: rec.at });
        break;
      case 'r':
        for (const s of rec.s) {
          this.dead.delete(s);
          this.events.delete(s);
        }
        break;
      case 'c':
        break;
    }
  }

  /** The highest seq ever minted: the header's head or the newest event left in the file. */
  head(): number {
    let head = this.header?.head ?? 0;
    for (const s of this.events.keys()) if (s > head) head = s;
    return head;
  }
}
