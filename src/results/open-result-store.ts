import type { Config } from '../config/schema.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import type { PostgresDatabase } from '../storage/postgres/postgres-database.js';
import { FileResultStore } from './file-result-store.js';
import { PostgresResultRepository } from './postgres-result-repository.js';
import { ResultStoreCore } from './result-store-core.js';
import type { ResultStore } from './result-store.js';

/**
 * The result store the config asks for: the shared policy (`ResultStoreCore`) over the file tree
 * (`results.backend: "files"`) or over PostgreSQL (`"postgres"`, on the connection the caller
 * opened and closes). The store logs what it found at open itself.
 *
 * @example const results = await openResultStore(config, { log: logger.child({ module: 'results' }), postgres: db });
 */
export async function openResultStore(config: Config, extras: { log?: ComponentLogger; postgres?: PostgresDatabase } = {}): Promise<ResultStore> {
  if (config.results.backend === 'postgres') {
    if (!extras.postgres) throw new Error("results.backend is 'postgres' but no PostgreSQL connection was opened");
    const repo = await PostgresResultRepository.open({ db: extras.postgres, ...(extras.log ? { log: extras.log } : {}) });
    const store = new ResultStoreCore(repo, { retentionDays: config.results.retention_days, ...(extras.log ? { log: extras.log } : {}) });
    const expired = await store.start();
    extras.log?.info(
      { backend: 'postgres', postgres: extras.postgres.description, results_stored: repo.stats().results_stored, expired_removed: expired },
      'result store opened',
    );
    return store;
  }
  return FileResultStore.open({
    storagePath: config.storage_path,
    retentionDays: config.results.retention_days,
    ...(extras.log ? { log: extras.log } : {}),
  });
}
