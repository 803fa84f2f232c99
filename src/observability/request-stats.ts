/**
 * Request latency and error counts over a sliding window (default 60 s) for `/status`.
 * Samples live in a fixed ring so memory stays bounded under any load; percentiles are computed
 * only when `/status` asks (a sort of at most `capacity` numbers).
 */
export interface RequestStatsSnapshot {
  avg_response_time_ms: number;
  p95_response_time_ms: number;
  p99_response_time_ms: number;
  requests_per_second: number;
  errors_per_minute: number;
}

export class RequestStats {
  private readonly at: Float64Array;
  private readonly durations: Float64Array;
  private readonly errors: Uint8Array;
  private next = 0;
  private filled = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly windowMs = 60_000,
    private readonly capacity = 20_000,
  ) {
    this.at = new Float64Array(capacity);
    this.durations = new Float64Array(capacity);
    this.errors = new Uint8Array(capacity);
  }

  record(durationMs: number, isError: boolean, now = Date.now()): void {
    this.at[this.next] = now;
    this.durations[this.next] = durationMs;
    this.errors[this.next] = isError ? 1 : 0;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
  }

  snapshot(now = Date.now()): RequestStatsSnapshot {
    const from = now - this.windowMs;
    const inWindow: number[] = [];
    let errors = 0;
    let oldest = now;
    for (let i = 0; i < this.filled; i++) {
      const t = this.at[i]!;
      if (t < from) continue;
      inWindow.push(this.durations[i]!);
      errors += this.errors[i]!;
      if (t < oldest) oldest = t;
    }
    if (inWindow.length === 0) {
      return { avg_response_time_ms: 0, p95_response_time_ms: 0, p99_response_time_ms: 0, requests_per_second: 0, errors_per_minute: 0 };
    }
    inWindow.sort((a, b) => a - b);
    const pick = (q: number): number => inWindow[Math.min(inWindow.length - 1, Math.ceil(q * inWindow.length) - 1)]!;
    // When the ring overflowed inside the window, the covered span is shorter than the window.
    const spanMs = Math.max(1000, Math.min(this.windowMs, now - Math.max(this.startedAt, this.filled === this.capacity ? oldest : from)));
    const round = (n: number): number => Math.round(n * 1000) / 1000;
    return {
      avg_response_time_ms: round(inWindow.reduce((s, d) => s + d, 0) / inWindow.length),
      p95_response_time_ms: round(pick(0.95)),
      p99_response_time_ms: round(pick(0.99)),
      requests_per_second: round(inWindow.length / (spanMs / 1000)),
      errors_per_minute: round(errors / (spanMs / 60_000)),
    };
  }
}
