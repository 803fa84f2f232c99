import { BaseCommand } from '../../cli/base-command.js';
import { SidecarUnavailableError, type HealthResponse, type StatusResponse } from '../../client/sidecar-client.js';

export interface StatusResult {
  running: boolean;
  url: string;
  health?: HealthResponse;
  status?: StatusResponse;
}

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show whether the sidecar runs, its uptime and its counters';
  static override examples = ['<%= config.bin %> orchestration status', '<%= config.bin %> orchestration status --json'];

  async run(): Promise<StatusResult> {
    // /health needs no token: a stopped sidecar (no state file, no key) is "not running", not an error.
    const anonymous = await this.client({ anonymous: true });
    let health: HealthResponse;
    try {
      health = await anonymous.health();
    } catch (err) {
      if (!(err instanceof SidecarUnavailableError)) throw err;
      this.say(`Not running (nothing answers at ${anonymous.url})`);
      process.exitCode = 3;
      return { running: false, url: anonymous.url };
    }
    const client = await this.client();
    const status = await client.status();
    const a = status.agents;
    const e = status.events;
    const st = status.storage;
    const p = status.performance;
    this.say(
      [
        `Sidecar ${health.version} at ${client.url}: ${health.status}, up ${health.uptime_seconds} s`,
        `  checks   storage ${health.checks.storage}, event bus ${health.checks.event_bus}, watcher ${health.checks.watcher}, ${health.checks.memory_usage_mb} MB RSS, ${health.checks.disk_space_available_mb} MB free`,
        `  agents   ${a.active} active, ${a.queued} queued, ${a.completed} completed, ${a.failed} failed (${a.spawned_total} spawned)`,
        `  events   ${e.total_published} published, ${e.total_delivered} delivered, ${e.active_subscriptions} waiting, ${e.queue_depth} buffered, ${e.dead_letter_queue_size} dead letters`,
        `  storage  ${st.results_stored} results (${st.total_size_mb} MB), ${st.context_cache_entries} cached contexts (${st.context_cache_bytes} bytes, hit rate ${st.cache_hit_rate})`,
        `  requests ${p.requests_per_second}/s, avg ${p.avg_response_time_ms} ms, p95 ${p.p95_response_time_ms} ms, p99 ${p.p99_response_time_ms} ms, ${p.errors_per_minute} errors/min`,
        `  path     ${st.storage_path}`,
      ].join('\n'),
    );
    return { running: true, url: client.url, health, status };
  }
}
