import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { SidecarError, SidecarUnavailableError } from '../../client/sidecar-client.js';
import { EventsClient, type EventPageResponse, type WireEvent } from '../../client/events-client.js';

/** Exit code of a single wait that ended without a matching event (scripts can branch on it). */
export const EXIT_NO_EVENT = 4;

export interface SubscribeResult {
  events: WireEvent[];
  more_available: boolean;
  next_cursor: string;
  timeout: boolean;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5_000;

export default class Subscribe extends BaseCommand<typeof Subscribe> {
  static override summary = 'Wait for events of a type (or * for all), once or continuously with --follow';
  static override description = [
    "Without --since, events still in the sidecar's buffer are returned at once; --since now waits for new ones only.",
    `A single wait that ends without a matching event exits with code ${EXIT_NO_EVENT}.`,
    '--follow keeps waiting from the last cursor until interrupted (Ctrl-C) and prints every matching event exactly once;',
    'it rides out a sidecar restart, and with --json prints one JSON event per line.',
  ].join('\n');

  static override examples = [
    '<%= config.bin %> orchestration subscribe agent_completed --filter issue_id:42 --timeout 60000',
    '<%= config.bin %> orchestration subscribe "*" --since now --follow',
    '<%= config.bin %> orchestration subscribe build_done --since evt_m3k9z1a2f3c4d5_000000000042 --json',
  ];

  static override args = {
    type: Args.string({ description: 'Event type, or * for every type', required: true }),
  };

  static override flags = {
    timeout: Flags.integer({ description: 'How long one wait may block, in ms (the sidecar clamps it)', default: 30_000, min: 0 }),
    filter: Flags.string({ description: 'field:value[,field:value]; fields looked up in data, then at top level' }),
    topic: Flags.string({ description: 'Only events on this topic' }),
    since: Flags.string({ description: 'Event id / cursor to continue after, or "now"' }),
    limit: Flags.integer({ description: 'Most events per answer', min: 1, max: 1000 }),
    follow: Flags.boolean({ description: 'Keep waiting and print each event as it arrives until interrupted', default: false }),
  };

  async run(): Promise<SubscribeResult | undefined> {
    const events = new EventsClient(await this.client());
    const query = {
      timeout: this.flags.timeout,
      ...(this.flags.filter !== undefined ? { filter: this.flags.filter } : {}),
      ...(this.flags.topic !== undefined ? { topic: this.flags.topic } : {}),
      ...(this.flags.limit !== undefined ? { limit: this.flags.limit } : {}),
    };
    if (!this.flags.follow) {
      const page = await events.wait(this.args.type, { ...query, ...(this.flags.since !== undefined ? { since: this.flags.since } : {}) });
      for (const e of page.events) this.say(formatEvent(e));
      if (page.events.length === 0) {
        this.say(`No matching event within ${this.flags.timeout} ms (next cursor: ${page.next_cursor})`);
        process.exitCode = EXIT_NO_EVENT;
      } else if (page.more_available) {
        this.say(`More events are waiting: continue with --since ${page.next_cursor}`);
      }
      return { events: page.events, more_available: page.more_available, next_cursor: page.next_cursor, timeout: page.timeout === true };
    }
    await this.follow(events, query);
    return undefined;
  }

  /** Loop on next_cursor until SIGINT/SIGTERM; each event is printed once, in order. */
  private async follow(events: EventsClient, query: Parameters<EventsClient['wait']>[1]): Promise<void> {
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let cursor = this.flags.since;
    let retryMs = RETRY_MIN_MS;
    let count = 0;
    try {
      while (!stop.signal.aborted) {
        let page: EventPageResponse;
        try {
          page = await events.wait(this.args.type, { ...query, ...(cursor !== undefined ? { since: cursor } : {}) }, stop.signal);
        } catch (err) {
          if (stop.signal.aborted) break;
          if (err instanceof SidecarError && err.code === 'EVT_003' && typeof err.body.details?.oldest_cursor === 'string') {
            this.warnLine(`Cursor ${cursor} expired; events after it may have been missed. Continuing from ${err.body.details.oldest_cursor}.`);
            cursor = err.body.details.oldest_cursor;
            continue;
          }
          // The sidecar is restarting or a wait timed out client-side: cursors survive restarts, so wait and resume.
          if (err instanceof SidecarUnavailableError || (err as Error).name === 'TimeoutError') {
            this.warnLine(`${(err as Error).message}; retrying in ${retryMs} ms`);
            await sleep(retryMs, stop.signal);
            retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
            continue;
          }
          throw err;
        }
        retryMs = RETRY_MIN_MS;
        for (const e of page.events) {
          if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(e)}\n`);
          else this.log(formatEvent(e));
          count++;
        }
        cursor = page.next_cursor;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    this.logToStderr(`Stopped after ${count} event(s); resume with --since ${cursor ?? 'now'}`);
  }

  private warnLine(message: string): void {
    process.stderr.write(`${message}\n`);
  }
}

/** One readable line per event. */
export function formatEvent(e: WireEvent): string {
  const correlation = e.correlation_id ? ` corr=${e.correlation_id}` : '';
  return `${e.timestamp}  ${e.event_type}  [${e.topic}]  from ${e.publisher}${correlation}  ${e.event_id}  ${JSON.stringify(e.data)}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
