import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ContextGenerationError } from '../errors/index.js';
import type { GitFacts, GitFactsTask } from './git-facts.js';
import type { BuildSuccess, BuildTask, ScanSuccess, ScanTask } from './worker-protocol.js';

/** Minimal logger shape (pino-compatible). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Path of a worker entry point, resolved from this module's own URL so it works both from
 * `dist/` (`dist/src/context/scan-pool.js` → `dist/workers/x.js`) and from TypeScript sources
 * under a loader such as tsx (`.ts` next to `.ts`).
 */
export function workerFile(name: string): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../../workers/${name}${ext}`, import.meta.url));
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
  private readonly logger: Logger;
  private closed = false;

  constructor(opts: { threads?: number; logger?: Logger } = {}) {
    const threads = opts.threads ?? Math.max(1, Math.min(4, os.availableParallelism()));
    const logger = (this.logger = opts.logger ?? silentLogger);
    this.pool = new Piscina({
      filename: this.buildFile,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // A worker that cannot load (wrong path, syntax error) emits `error` on the pool; without
      // a listener that would crash the whole sidecar.
    });
    this.pool.on('error', (err: Error) => logger.error({ err }, 'context worker error'));
  }

  async scan(task: ScanTask): Promise<ScanSuccess> {
    const res = await this.run<ScanTask, ScanSuccess>(task, this.scanFile);
    return res;
  }

  async build(task: BuildTask): Promise<BuildSuccess> {
    return this.run<BuildTask, BuildSuccess>(task, this.buildFile);
  }

  async gitFacts(task: GitFactsTask): Promise<GitFacts> {
    const { ok: _ok, ...facts } = await this.run<GitFactsTask, { ok: true } & GitFacts>(task, this.gitFile);
    return facts;
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  private async run<T, R extends { ok: true }>(task: T, filename: string): Promise<R> {
    if (this.closed) throw new ContextGenerationError('Context engine is shutting down');
    let res: R | { ok: false; code: string; message: string };
    try {
      res = (await this.pool.run(task, { filename })) as R | { ok: false; code: string; message: string };
    } catch (err) {
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
    await this.pool.destroy();
  }
}
