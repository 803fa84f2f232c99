import { Piscina } from 'piscina';
import { ContextGenerationError } from '../../errors/index.js';
import { silentLogger, type ComponentLogger as Logger } from '../../logging/component-logger.js';
import { workerFile } from './scan-pool.js';
import type {
  IndexSliceTask,
  IndexSuccess,
  IndexUpdateTask,
  SearchStats,
  SearchSuccess,
  SearchTask,
  SearchWorkerResult,
  SearchWorkerTask,
} from './search-protocol.js';

/**
 * The search worker: one thread that holds the code search index (a second copy per thread
 * would double its memory). One task at a time, in order, so an update queued before a search
 * is always applied when the search runs; the initial build goes in slices so searches slip in
 * between them.
 */
export class SearchPool {
  private readonly pool: Piscina;
  private readonly logger: Logger;
  private closed = false;

  constructor(opts: { logger?: Logger } = {}) {
    const logger = (this.logger = opts.logger ?? silentLogger);
    this.pool = new Piscina({
      filename: workerFile('search-index'),
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 1,
      idleTimeout: 2 ** 31 - 1,
      // The lowest priority (nice +19), below the build pool's +10: indexing in the background
      // must not take CPU from a context being built or answered.
      niceIncrement: 19,
    });
    this.pool.on('error', (err: Error) => logger.error({ err }, 'search worker error'));
  }

  index(task: IndexSliceTask | IndexUpdateTask): Promise<IndexSuccess> {
    return this.run<IndexSuccess>(task);
  }

  search(task: SearchTask): Promise<SearchSuccess> {
    return this.run<SearchSuccess>(task);
  }

  stats(realRoot: string): Promise<SearchStats> {
    return this.run<SearchStats>({ op: 'stats', realRoot });
  }

  private async run<R extends { ok: true }>(task: SearchWorkerTask): Promise<R> {
    if (this.closed) throw new ContextGenerationError('Context engine is shutting down');
    let res: SearchWorkerResult;
    try {
      res = (await this.pool.run(task)) as SearchWorkerResult;
    } catch (err) {
      if (this.closed) throw new ContextGenerationError('Context engine is shutting down');
      this.logger.error({ err }, 'search worker crashed');
      throw new ContextGenerationError('Search worker failed');
    }
    if (!res.ok) {
      this.logger.error({ code: res.code, message: res.message }, 'search worker reported a failure');
      throw new ContextGenerationError('Code search failed');
    }
    return res as unknown as R;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}
