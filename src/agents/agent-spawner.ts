import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { SpawnerEvent, SpawnerRequest } from './spawner-protocol.js';

export type SpawnSpec = Omit<Extract<SpawnerRequest, { op: 'spawn' }>, 'op' | 'id'>;

export interface SpawnHandlers {
  onExit(exit: { code: number | null; signal: string | null; durationMs: number }): void;
  onClosed(dropped: { stdout: number; stderr: number }): void;
}

export class SpawnError extends Error {
  constructor(
    message: string,
    readonly errno: string | null,
  ) {
    super(message);
  }
}

/** The worker file next to this module's build: `.js` under dist/, `.ts` when run from sources. */
function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`../../workers/agent-spawner.${ext}`, import.meta.url);
}

interface Tracked extends SpawnHandlers {
  started?: (r: { pid: number; startTicks: number | null }) => void;
  failed?: (e: SpawnError) => void;
  exited: boolean;
}

/**
 * Main-thread side of the spawner worker: `spawn()` resolves with the pid and start time once the
 * process exists; exit and pipe close arrive through the handlers. If the worker dies, every agent
 * it owned is reported as exited (the supervisor then kills what is left of their groups) and the
 * next spawn starts a fresh worker.
 */
export class AgentSpawner {
  private worker: Worker | null = null;
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly onWorkerError: (err: Error) => void = () => undefined) {}

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(fileURLToPath(workerUrl()));
    worker.unref();
    worker.on('message', (event: SpawnerEvent) => this.dispatch(event));
    // Without an error listener a failing worker would crash the sidecar.
    worker.on('error', (err) => {
      this.onWorkerError(err);
      this.orphanAll(worker, err.message);
    });
    worker.on('exit', () => this.orphanAll(worker, 'spawner worker exited'));
    this.worker = worker;
    return worker;
  }

  private orphanAll(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    for (const [id, t] of [...this.tracked]) {
      this.tracked.delete(id);
      if (t.failed) t.failed(new SpawnError(reason, null));
      else {
        if (!t.exited) t.onExit({ code: null, signal: null, durationMs: 0 });
        t.onClosed({ stdout: 0, stderr: 0 });
      }
    }
  }

  private dispatch(event: SpawnerEvent): void {
    const t = this.tracked.get(event.id);
    if (!t) return;
    switch (event.op) {
      case 'spawned':
        t.started?.({ pid: event.pid, startTicks: event.startTicks });
        delete t.started;
        delete t.failed;
        break;
      case 'spawn_failed':
        this.tracked.delete(event.id);
        t.failed?.(new SpawnError(event.message, event.errno));
        break;
      case 'exit':
        t.exited = true;
        t.onExit({ code: event.code, signal: event.signal, durationMs: event.durationMs });
        break;
      case 'closed':
        this.tracked.delete(event.id);
        t.onClosed(event.dropped);
        break;
    }
  }

  /** Start a process; resolves once it exists (pid and start time), rejects with SpawnError. */
  spawn(id: string, spec: SpawnSpec, handlers: SpawnHandlers): Promise<{ pid: number; startTicks: number | null }> {
    const worker = this.ensureWorker();
    return new Promise((resolve, reject) => {
      this.tracked.set(id, { ...handlers, started: resolve, failed: reject, exited: false });
      const req: SpawnerRequest = { op: 'spawn', id, ...spec };
      worker.postMessage(req);
    });
  }

  /** Stop the worker (after every agent has ended). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
