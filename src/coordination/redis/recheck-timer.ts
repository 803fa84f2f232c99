/**
 * One timer for the earliest known deadline of a Redis-held set (lease expiries, gate timeouts),
 * never further away than `maxDelayMs`: another node may add an earlier deadline this node has
 * not heard of, so the set is re-read at least that often. Nothing polls every entry.
 */
export class RecheckTimer {
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly maxDelayMs: number,
    private readonly run: () => void,
  ) {}

  /** Fire at `at` (epoch ms) unless an earlier time is armed; `replace` re-arms whatever is set. */
  arm(at: number, replace = false): void {
    if (this.closed) return;
    const when = Math.min(at, Date.now() + this.maxDelayMs);
    if (!replace && this.timer && when >= this.armedAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = when;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.run();
      },
      Math.max(0, when - Date.now()),
    );
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
