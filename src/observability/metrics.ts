import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Live readings taken at scrape time from the components that own them. */
export interface MetricSources {
  activeAgents(): number;
  eventsPublished(): number;
  cacheHits(): number;
  cacheMisses(): number;
  storageBytes(): number;
}

/**
 * Prometheus metrics for one sidecar (its own registry, so tests can run several apps in one
 * process). Request counters are updated per request; the rest are read from their owners when
 * `/metrics` is scraped, so there is a single source of truth for every number.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;
  private sources: Partial<MetricSources> = {};
  private readonly children = new Map<string, { requests: { inc(): void }; duration: { observe(v: number): void } }>();

  constructor() {
    this.requests = new Counter({
      name: 'sidecar_requests_total',
      help: 'HTTP requests answered, by method, matched route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'sidecar_request_duration_seconds',
      help: 'HTTP request duration in seconds',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [this.registry],
    });
    const gauge = (name: string, help: string, read: () => number | undefined): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read() ?? 0);
        },
      });
    };
    // Counters owned elsewhere are exposed as monotonically increasing readings; the `_total`
    // names follow the spec.
    const counter = (name: string, help: string, read: () => number | undefined): void => {
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(read() ?? 0);
        },
      });
    };
    gauge('sidecar_active_agents', 'Agent processes currently running', () => this.sources.activeAgents?.());
    counter('sidecar_events_published_total', 'Events published since start', () => this.sources.eventsPublished?.());
    counter('sidecar_cache_hits_total', 'Context cache hits since start', () => this.sources.cacheHits?.());
    counter('sidecar_cache_misses_total', 'Context cache misses since start', () => this.sources.cacheMisses?.());
    gauge('sidecar_storage_bytes', 'Bytes used by stored results', () => this.sources.storageBytes?.());
    gauge('sidecar_process_resident_memory_bytes', 'Resident set size of the sidecar process', () => process.memoryUsage().rss);
  }

  setSources(sources: Partial<MetricSources>): void {
    this.sources = { ...this.sources, ...sources };
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    // Labelled children are looked up once per (method, route, status): prom-client hashes
    // and validates a label object on every call otherwise. The set is bounded: routes are
    // templates (unmatched paths share one label) and Node's parser only knows ~35 methods.
    const key = `${method} ${route} ${status}`;
    let child = this.children.get(key);
    if (!child) {
      child = { requests: this.requests.labels(method, route, String(status)), duration: this.duration.labels(method, route) };
      this.children.set(key, child);
    }
    child.requests.inc();
    child.duration.observe(seconds);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
