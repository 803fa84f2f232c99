import type { Config } from '../config/schema.js';
import { FileResultStore, type ResultStoreLogger } from './file-result-store.js';
import type { ResultStore } from './result-store.js';

/**
 * The result store the config asks for. Only the embedded file backend exists today; a
 * PostgreSQL backend slots in here behind the same `ResultStore` interface.
 *
 * @example const results = await openResultStore(config, { log: logger.child({ module: 'results' }) });
 */
export async function openResultStore(config: Config, extras: { log?: ResultStoreLogger } = {}): Promise<ResultStore & { readonly openReport: FileResultStore['openReport'] }> {
  return FileResultStore.open({
    storagePath: config.storage_path,
    retentionDays: config.results.retention_days,
    log: extras.log,
  });
}
