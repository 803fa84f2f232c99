import type { Config } from '../config/schema.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { FileResultStore } from './file-result-store.js';
import type { ResultStore } from './result-store.js';

/**
 * The result store the config asks for. Only the embedded file backend exists today; a
 * PostgreSQL repository slots in under the same `ResultStoreCore`. The store logs what it found
 * at open itself, so nothing backend-specific leaves here.
 *
 * @example const results = await openResultStore(config, { log: logger.child({ module: 'results' }) });
 */
export async function openResultStore(config: Config, extras: { log?: ComponentLogger } = {}): Promise<ResultStore> {
  return FileResultStore.open({
    storagePath: config.storage_path,
    retentionDays: config.results.retention_days,
    ...(extras.log ? { log: extras.log } : {}),
  });
}
