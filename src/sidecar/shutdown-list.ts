import type { Logger } from 'pino';

/**
 * The order in which a sidecar's parts stop, and why:
 * - `http`: stop accepting, answer every pending long-poll, let in-flight requests finish, so no
 *   request reaches a part that is closing;
 * - `agents`: their exits are still audited and published on the open bus;
 * - `coordination`: lease and gate waiters are answered and their last events published on the open bus;
 * - `context`: the watcher stops and its last debounced `files_changed` goes to the open bus;
 * - `bus`: the journal is flushed and synced after its last publisher stopped;
 * - `results`: nothing publishes or reads after this;
 * - `postgres`: the connection pool, once the stores on it (results, issues) are closed;
 * - `audit`: so everything above is still recorded (and `sidecar.stop` after it);
 * - `shared`: the revocation store and rate-limit counters (Redis in a cluster), which requests used until `http` closed.
 */
export const SHUTDOWN_ORDER = ['http', 'agents', 'coordination', 'context', 'bus', 'results', 'postgres', 'audit', 'shared'] as const;

export type ShutdownStage = (typeof SHUTDOWN_ORDER)[number];

/**
 * The one shutdown list: each part registers its closer once it is built, and `run` closes them in
 * `SHUTDOWN_ORDER` one after the other. A failed start runs the same list, so it closes exactly
 * the parts built so far, in the same order as a normal stop. A closer that fails is logged and
 * the next one still runs.
 *
 * @example
 * const shutdown = new ShutdownList(logger);
 * shutdown.register('bus', () => bus.close());
 * await shutdown.run();
 */
export class ShutdownList {
  private readonly closers = new Map<ShutdownStage, Array<() => void | Promise<void>>>();
  private running: Promise<void> | undefined;

  constructor(private readonly logger?: Logger) {}

  /** Add a closer to a stage; closers of one stage run in registration order. */
  register(stage: ShutdownStage, closer: () => void | Promise<void>): void {
    const list = this.closers.get(stage) ?? [];
    list.push(closer);
    this.closers.set(stage, list);
  }

  /** Close every registered part in order. Idempotent: a second call returns the first run. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const stage of SHUTDOWN_ORDER) {
        for (const closer of this.closers.get(stage) ?? []) {
          try {
            await closer();
          } catch (err) {
            this.logger?.error({ err, stage }, 'shutdown step failed');
          }
        }
      }
    })();
    return this.running;
  }
}
