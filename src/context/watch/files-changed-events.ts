import type { ComponentLogger as Logger } from '../../logging/component-logger.js';
import type { FilesChangedEvent } from '../service/context-types.js';

/** Event shape handed to the injected publisher (the bus adds ids, timestamps, …). */
export interface PublishInput {
  event_type: string;
  topic: string;
  data: Record<string, unknown>;
}

const EVENT_MAX_PATHS = 500;
const EVENT_MAX_WAIT_MS = 1000;

/**
 * The debounced `files_changed` event: changes are merged to their net effect per path within a
 * window of `debounceMs` (at most 1 s from the first change), then published once.
 */
export class FilesChangedEvents {
  private readonly publish: ((event: PublishInput) => unknown) | undefined;
  private readonly projectId: string;
  private readonly debounceMs: number;
  private readonly logger: Logger;
  private pending = new Map<string, 'add' | 'change' | 'unlink'>();
  private timer: NodeJS.Timeout | null = null;
  private firstAt = 0;

  constructor(opts: { publish: ((event: PublishInput) => unknown) | undefined; projectId: string; debounceMs: number; logger: Logger }) {
    this.publish = opts.publish;
    this.projectId = opts.projectId;
    this.debounceMs = opts.debounceMs;
    this.logger = opts.logger;
  }

  queue(changes: ReadonlyArray<{ path: string; kind: 'add' | 'change' | 'unlink' }>): void {
    if (!this.publish) return;
    for (const c of changes) {
      // Net effect within one debounce window: add+change = add, add+unlink = nothing,
      // unlink+add = change.
      const prev = this.pending.get(c.path);
      if (prev === 'add' && c.kind === 'change') continue;
      if (prev === 'add' && c.kind === 'unlink') this.pending.delete(c.path);
      else if (prev === 'unlink' && c.kind === 'add') this.pending.set(c.path, 'change');
      else this.pending.set(c.path, c.kind);
    }
    const now = Date.now();
    if (!this.timer) this.firstAt = now;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.debounceMs, this.firstAt + EVENT_MAX_WAIT_MS - now));
    this.timer = setTimeout(() => void this.flush(), wait);
    this.timer.unref();
  }

  /** Publish what is pending now (also on close); resolves once the bus took it (failures are logged). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0 || !this.publish) return Promise.resolve();
    const all = [...this.pending].map(([p, kind]) => ({ path: p, kind }));
    this.pending = new Map();
    const listed = all.slice(0, EVENT_MAX_PATHS);
    const event: FilesChangedEvent = {
      event_type: 'files_changed',
      topic: 'coordination',
      data: { project_id: this.projectId, paths: listed.map((c) => c.path), changes: listed, count: all.length, truncated: all.length > listed.length },
    };
    try {
      return Promise.resolve(this.publish(event as unknown as PublishInput)).then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err }, 'files_changed publish failed'),
      );
    } catch (err) {
      this.logger.warn({ err }, 'files_changed publish failed');
      return Promise.resolve();
    }
  }
}
