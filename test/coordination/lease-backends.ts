import { RedisServer } from '../helpers/redis-server.js';

export type LeaseBackendName = 'embedded' | 'redis';

export interface LeaseBackend {
  readonly name: LeaseBackendName;
  /** The Redis of this run; undefined for the embedded store. */
  redis(): RedisServer | undefined;
  /** Config overrides selecting this backend for startTestServer. */
  config(): Record<string, unknown>;
}

/**
 * The contract suite of leases and gates: the same tests, once on the embedded store (journal)
 * and once on a real throwaway Redis (`events.backend: "redis"`).
 *
 * @example onEachLeaseBackend('leases over HTTP', (backend) => { before(() => start(backend.config())); it(...) })
 */
export function onEachLeaseBackend(title: string, body: (backend: LeaseBackend) => void): void {
  for (const name of ['embedded', 'redis'] as const) {
    describe(`${title} [${name}]`, function () {
      let server: RedisServer | undefined;
      before(async () => {
        if (name === 'redis') server = await RedisServer.start();
      });
      after(async () => {
        await server?.stop();
      });
      body({ name, redis: () => server, config: () => (server ? { redis: { url: server.url } } : {}) });
    });
  }
}
