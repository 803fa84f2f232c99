const WINDOW = 1024;

/**
 * Counters behind `stats()`. The delivery latency is a mean over a fixed window of recent
 * samples (publish call → waiter answered) rather than a lifetime mean, so `/status` reflects
 * current behaviour.
 */
export class DeliveryStats {
  published = 0;
  delivered = 0;
  private readonly samples = new Float64Array(WINDOW);
  private sampleCount = 0;
  private next = 0;
  private sum = 0;

  recordLatency(ms: number): void {
    if (this.sampleCount === WINDOW) this.sum -= this.samples[this.next]!;
    else this.sampleCount++;
    this.samples[this.next] = ms;
    this.sum += ms;
    this.next = (this.next + 1) % WINDOW;
  }

  /** Mean of the window in ms (3 decimals); 0 before the first live delivery. */
  avgLatencyMs(): number {
    return this.sampleCount === 0 ? 0 : Math.round((this.sum / this.sampleCount) * 1000) / 1000;
  }
}
