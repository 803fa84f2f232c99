import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ContextGenerationError } from '../../errors/index.js';
import { silentLogger, type ComponentLogger as Logger } from '../../logging/component-logger.js';
import type { GitFacts, GitFactsTask } from '../worker/git/git-facts.js';
import type { BuildSuccess, BuildTask, ScanSuccess, ScanTask } from './worker-protocol.js';
import type { WorktreeDiffResult, WorktreeDiffTask } from '../worker/git/worktree-diff.js';

const WORKER_NICE = 10;

/**
 * Path of a worker entry point, resolved from this module's own URL so it works both from
 * `dist/` (`dist/src/context/pool/scan-pool.js` → `dist/workers/x.js`) and from TypeScript sources
 * under a loader such as tsx (`.ts` next to `.ts`).
 */
export function workerFile(name: string): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../../../workers/${name}${ext}`, import.meta.url));
}

/**
 * The worker pool for everything that touches many files. One pool, two entry points
 * (scan-project, build-context). Worker results are discriminated unions; failures become
 * ContextGenerationError (CTX_001) here, on the main thread.
 */
export class ContextPool {
  private readonly pool: Piscina;
  private readonly scanFile = workerFile('scan-project');
  private readonly buildFile = workerFile('build-context');
  private readonly gitFile = workerFile('git-facts');
  private readonly worktreeFile = workerFile('git-worktree-diff');
  /**
   * Git tasks mostly wait on child processes: one thread runs many of them at once, so a
   * 100 ms `git status` never queues a build or a scan behind it.
   */
  private ioPool: Piscina | null = null;
  private readonly logger: Logger;
  private closed = false;

  constructor(opts: { threads?: number; logger?: Logger } = {}) {
    const threads = opts.threads ?? Math.max(1, Math.min(4, os.availableParallelism()));
    const logger = (this.logger = opts.logger ?? silentLogger);
    this.pool = new Piscina({
      // The first thread's first task is the scan: it loads that module graph at start-up
      // (~40 ms of imports) instead of the build's, which it loads on first use.
      filename: this.scanFile,
      // One thread at construction (each `new Worker` costs the main thread 10–20 ms); the rest
      // start when tasks overlap, and none is ever retired: a thread keeps the decoded index
      // and per-profile scores it has built.
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 2 ** 31 - 1,
      // Lower priority (Linux nice +10, inherited by the git processes these threads spawn): on
      // a 2-core machine a scan must not take the CPU away from the thread answering requests.
      niceIncrement: WORKER_NICE,
      // A worker that cannot load (wrong path, syntax error) emits `error` on the pool; without
      // a listener that would crash the whole sidecar.
    });
    this.pool.on('error', (err: Error) => logger.error({ err }, 'context worker error'));
  }

  /** Created on first use: starting a thread costs the main thread 10–20 ms, not during the scan. */
  private get io(): Piscina {
    if (!this.ioPool) {
      this.ioPool = new Piscina({
        filename: this.gitFile,
        minThreads: 1,
        maxThreads: 1,
        concurrentTasksPerWorker: 8,
        // Tasks overlap and keep child processes open: the thread must not sleep between tasks.
        atomics: 'disabled',
        idleTimeout: 2 ** 31 - 1,
        niceIncrement: WORKER_NICE,
      });
      this.ioPool.on('error', (err: Error) => this.logger.error({ err }, 'context git worker error'));
    }
    return this.ioPool;
  }

  async scan(task: ScanTask): Promise<ScanSuccess> {
    const res = await this.run<ScanTask, ScanSuccess>(task, this.scanFile);
    return res;
  }

  async build(task: BuildTask): Promise<BuildSuccess> {
    return this.run<BuildTask, BuildSuccess>(task, this.buildFile);
  }

  async gitFacts(task: GitFactsTask): Promise<GitFacts> {
    const { ok: _ok, ...facts } = await this.run<GitFactsTask, { ok: true } & GitFacts>(task, this.gitFile, this.io);
    return facts;
  }

  async worktreeDiff(task: WorktreeDiffTask): Promise<Extract<WorktreeDiffResult, { ok: true }>> {
    return this.run<WorktreeDiffTask, Extract<WorktreeDiffResult, { ok: true }>>(task, this.worktreeFile, this.io);
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  get maxThreads(): number {
    return this.pool.maxThreads;
  }

  private async run<T, R extends { ok: true }>(task: T, filename: string, pool: Piscina = this.pool): Promise<R> {
    if (this.closed) throw new ContextGenerationError('Context engine is shutting down');
    let res: R | { ok: false; code: string; message: string };
    try {
      res = (await pool.run(task, { filename })) as R | { ok: false; code: string; message: string };
    } catch (err) {
      if (this.closed) throw new ContextGenerationError('Context engine is shutting down');
      this.logger.error({ err }, 'context worker crashed');
      throw new ContextGenerationError('Context worker failed');
    }
    if (!res.ok) {
      // Worker messages can name absolute paths or git output: log them, answer generically.
      this.logger.error({ code: res.code, message: res.message }, 'context worker reported a failure');
      throw new ContextGenerationError('Context generation failed');
    }
    return res;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.destroy(), this.ioPool?.destroy()]);
  }
}
