import type { ComponentLogger } from '../../logging/component-logger.js';
import type { RedisClient } from '../../redis/redis-connection.js';
import type { DeadLetter, DeadLetterReason } from '../event-bus.js';
import { ADD_LETTER, REMOVE_LETTERS, type StreamKeys } from './stream-scripts.js';
import type { RedisLogEntry } from './stream-entry.js';

/**
 * The dead letters of a shared stream: kept on Redis (a hash of letters, a sorted set for their
 * order, a version counter), mirrored in memory because the log answers them synchronously.
 * Every change here is written through; changes by other sidecars reach the mirror when
 * `refresh` sees a new version (the log calls it every second). Two sidecars redriving the same
 * letter within that second may both publish it: a redrive is at-least-once across nodes.
 */
export class RedisDeadLetters {
  private letters = new Map<string, DeadLetter>();
  /** Taken out for a redrive or purge, until forgotten. */
  private readonly taken = new Map<string, DeadLetter>();
  private version = '';
  /** Bumped on every local write: a reload started before a write must not overwrite it. */
  private writes = 0;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: StreamKeys,
    private readonly capacity: number,
    private readonly logger: ComponentLogger | undefined,
  ) {}

  get size(): number {
    return this.letters.size;
  }

  /** Load the letters from Redis when another sidecar changed them. */
  async refresh(force = false): Promise<void> {
    const writesAtStart = this.writes;
    const version = (await this.client.get(this.keys.letterVersion)) ?? '';
    if (!force && version === this.version) return;
    const [ids, all] = await Promise.all([this.client.zRange(this.keys.letterOrder, 0, -1), this.client.hGetAll(this.keys.letters)]);
    if (this.writes !== writesAtStart) return;
    const next = new Map<string, DeadLetter>();
    for (const id of ids) {
      const json = all[id];
      if (json && !this.taken.has(id)) next.set(id, JSON.parse(json) as DeadLetter);
    }
    this.letters = next;
    this.version = version;
  }

  add(entry: RedisLogEntry, reason: DeadLetterReason, atMs: number): void {
    if (this.capacity === 0) return;
    const letter: DeadLetter = { ...entry.event, reason, dead_lettered_at: new Date(atMs).toISOString() };
    const id = letter.event_id;
    if (this.letters.has(id)) return;
    this.letters.set(id, letter);
    while (this.letters.size > this.capacity) this.letters.delete(this.letters.keys().next().value as string);
    this.track(
      ADD_LETTER.run(this.client, [this.keys.letters, this.keys.letterOrder, this.keys.letterVersion], [this.capacity, id, entry.seq, JSON.stringify(letter)]),
    );
  }

  values(): IterableIterator<DeadLetter> {
    return this.letters.values();
  }

  get(eventId: string): DeadLetter | undefined {
    return this.letters.get(eventId);
  }

  take(eventId: string): DeadLetter | undefined {
    const letter = this.letters.get(eventId);
    if (!letter) return undefined;
    this.letters.delete(eventId);
    this.taken.set(eventId, letter);
    this.writes++;
    return letter;
  }

  takeAll(): DeadLetter[] {
    const all = [...this.letters.values()];
    for (const l of all) this.taken.set(l.event_id, l);
    this.letters.clear();
    this.writes++;
    return all;
  }

  /** A taken letter whose redrive failed goes back (it never left Redis). */
  putBack(letter: DeadLetter): void {
    if (!this.taken.delete(letter.event_id)) return;
    this.letters.set(letter.event_id, letter);
    this.writes++;
  }

  async forget(letters: readonly DeadLetter[]): Promise<void> {
    const ids = letters.map((l) => l.event_id).filter((id) => this.taken.has(id));
    if (ids.length === 0) return;
    this.writes++;
    try {
      await REMOVE_LETTERS.run(this.client, [this.keys.letters, this.keys.letterOrder, this.keys.letterVersion], ids);
    } finally {
      for (const id of ids) this.taken.delete(id);
    }
  }

  /** Forget the mirror (the stream was lost with its letters). */
  reset(): void {
    this.letters.clear();
    this.taken.clear();
    this.version = '';
    this.writes++;
  }

  /** Wait for the writes under way. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<unknown>): void {
    this.writes++;
    const tracked = p
      .catch((err: unknown) => this.logger?.error({ err: String(err) }, 'dead letter write to redis failed'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
