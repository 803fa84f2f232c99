import type { ComponentLogger } from '../logging/component-logger.js';
import { FileResultRepository, type OpenReport } from './file-result-repository.js';
import { ResultStoreCore } from './result-store-core.js';

export type { OpenReport } from './file-result-repository.js';

export interface FileResultStoreOptions {
  /** The sidecar storage dir; results live in `<storagePath>/results`. */
  storagePath: string;
  /** Results older than this (by `stored_at`) are removed. */
  retentionDays: number;
  /** How often to sweep; default a tenth of the retention, between 1 s and 1 h; 0 = only at open. */
  sweepIntervalMs?: number;
  /** Clock, injectable for retention tests. */
  now?: () => number;
  log?: ComponentLogger;
  /** The durable writer; injectable so tests can simulate a full disk. */
  writeFile?: (file: string, data: string) => Promise<void>;
  /** Bytes of recently stored or read envelopes kept parsed in memory (default 32 MiB; 0 = none). */
  cacheBytes?: number;
}

/**
 * The embedded result store: the shared policy (`ResultStoreCore`) over the file tree
 * (`FileResultRepository`).
 *
 * @example
 * const store = await FileResultStore.open({ storagePath: cfg.storage_path, retentionDays: cfg.results.retention_days });
 * const env = await store.store({ agent_id: 'a1', agent_type: 'python-specialist', issue_id: '42', project_id: 'web', result: { status: 'success' } });
 */
export class FileResultStore extends ResultStoreCore {
  private constructor(
    private readonly files: FileResultRepository,
    options: FileResultStoreOptions,
  ) {
    super(files, options);
  }

  /** What the open found and did (index rebuilt, files quarantined, expired results removed). */
  get openReport(): OpenReport {
    return this.files.openReport;
  }

  get root(): string {
    return this.files.root;
  }

  /**
   * Open (creating if needed) the store: rebuild the index from the tree, quarantine what cannot
   * be trusted, sweep expired results and start the periodic sweep. Logs what it found.
   */
  static async open(options: FileResultStoreOptions): Promise<FileResultStore> {
    const started = performance.now();
    const files = await FileResultRepository.open({
      storagePath: options.storagePath,
      ...(options.now ? { now: options.now } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.writeFile ? { writeFile: options.writeFile } : {}),
      ...(options.cacheBytes !== undefined ? { cacheBytes: options.cacheBytes } : {}),
    });
    const store = new FileResultStore(files, options);
    const report = files.openReport;
    report.expired_removed = await store.start();
    report.duration_ms = Math.round(performance.now() - started);
    options.log?.info(
      {
        results_indexed: report.results_indexed,
        quarantined: report.quarantined.length,
        expired_removed: report.expired_removed,
        duration_ms: report.duration_ms,
      },
      'result store opened',
    );
    return store;
  }
}
