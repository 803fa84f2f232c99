import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { carriesToken, mayCarryToken } from '../files/token-files.js';
import type { AppliedChange, ProjectIndex } from '../index/project-index.js';
import { silentLogger, type ComponentLogger as Logger } from '../../logging/component-logger.js';
import { ChokidarDirWatcher, NativeDirWatcher, type BackendHandlers, type WatchBackend } from './watch-backends.js';

/** When a new directory tree is looked at again (ms after it was indexed). */
const RELOOK_AFTER_MS = [50, 500, 2000];

/** `/health` watcher status. `starting` counts as not yet trustworthy (TTL applies). */
export type WatcherStatus = 'ok' | 'degraded' | 'disabled' | 'starting';

export interface ProjectWatcherOptions {
  realRoot: string;
  index: ProjectIndex;
  backend: 'native' | 'chokidar';
  logger?: Logger;
  /** Changes applied to the index, in batches. */
  onChanges(changes: AppliedChange[]): void;
  /** Something too big to follow incrementally happened (a huge tree moved in): rescan. */
  onRescanNeeded(reason: string): void;
  onStatus?(status: WatcherStatus, reason?: string): void;
  /** Test hook: build a failing backend, etc. */
  createBackend?: (handlers: BackendHandlers) => WatchBackend;
}

/** A new directory with more entries than this is handed to a full rescan in a worker. */
const MAX_INLINE_WALK = 2000;

/**
 * Keeps the index in step with the file system. Backends report "something happened to name
 * in dir"; this class lstat's each such path once per batch and applies the real state to the
 * index (so duplicate, reordered or coalesced events are harmless), follows new and removed
 * directories, and hands the applied changes to the service.
 */
export class ProjectWatcher {
  private readonly opts: ProjectWatcherOptions;
  private readonly logger: Logger;
  private backend: WatchBackend | null = null;
  private statusValue: WatcherStatus = 'disabled';
  private reason: string | undefined;
  private readonly pending = new Set<string>();
  private readonly pendingDirs = new Set<string>();
  private scheduled = false;
  private processing: Promise<void> | null = null;
  private closed = false;
  readyAt = 0;
  /** How long setting the initial watches took. */
  readyMs = 0;

  constructor(opts: ProjectWatcherOptions) {
    this.opts = opts;
    this.logger = opts.logger ?? silentLogger;
  }

  get status(): WatcherStatus {
    return this.statusValue;
  }

  get statusReason(): string | undefined {
    return this.reason;
  }

  get watchCount(): number {
    return this.backend?.watchCount ?? 0;
  }

  /** Start watching the directories the index holds. Resolves when the watches are in place. */
  async start(): Promise<void> {
    this.setStatus('starting');
    const handlers: BackendHandlers = {
      onEvent: (dir, name) => this.onEvent(dir, name),
      onDirAdded: (rel) => this.queue(rel),
      onDirRemoved: (rel) => this.queue(rel),
      onError: (err) => this.fail(err),
    };
    const { realRoot, index } = this.opts;
    this.backend =
      this.opts.createBackend?.(handlers) ??
      (this.opts.backend === 'chokidar'
        ? new ChokidarDirWatcher(realRoot, handlers, (rel) => index.isIndexable(rel, true))
        : new NativeDirWatcher(realRoot, handlers));
    const t0 = performance.now();
    try {
      await this.backend.start(index.directories);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.readyMs = performance.now() - t0;
    if (this.statusValue === 'starting') {
      this.readyAt = Date.now();
      this.setStatus('ok');
    }
  }

  /** After a rescan: watch the directories the new index holds. */
  syncDirectories(): void {
    this.backend?.sync(this.opts.index.directories);
  }

  /** Wait until every event received so far has been applied. */
  async flush(): Promise<void> {
    while (this.scheduled || this.processing || this.pending.size > 0 || this.pendingDirs.size > 0) {
      if (this.processing) await this.processing;
      else await new Promise((r) => setImmediate(r));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.backend?.close();
    this.backend = null;
    if (this.statusValue !== 'degraded') this.setStatus('disabled');
  }

  private fail(err: Error): void {
    if (this.statusValue === 'degraded' || this.closed) return;
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOSPC' ? 'inotify watch limit reached (fs.inotify.max_user_watches)' : code === 'EMFILE' ? 'too many open files' : err.message;
    this.logger.warn({ err: { code, message: err.message } }, 'file watcher failed; falling back to a short TTL');
    this.setStatus('degraded', reason);
    // Free whatever watches were set; the TTL path takes over.
    void this.backend?.close();
    this.backend = null;
  }

  private setStatus(s: WatcherStatus, reason?: string): void {
    this.statusValue = s;
    this.reason = reason;
    this.opts.onStatus?.(s, reason);
  }

  private onEvent(dir: string, name: string | null): void {
    if (this.closed) return;
    if (name === null) {
      this.pendingDirs.add(dir);
      this.schedule();
      return;
    }
    this.queue(dir === '' ? name : `${dir}/${name}`);
  }

  private queue(rel: string): void {
    if (this.closed || rel === '' || rel.startsWith('..')) return;
    this.pending.add(rel);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // One macrotask of coalescing: editors emit several raw events per save.
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.processing) return; // the running loop picks the new paths up
    this.processing = (async () => {
      while (this.pending.size > 0 || this.pendingDirs.size > 0) await this.process();
    })()
      .catch((err: unknown) => this.logger.error({ err }, 'watcher event processing failed'))
      .finally(() => {
        this.processing = null;
        if (this.pending.size > 0 || this.pendingDirs.size > 0) this.schedule();
      });
  }

  private async process(): Promise<void> {
    const dirs = [...this.pendingDirs];
    this.pendingDirs.clear();
    // A directory event without a name: re-list it and check every entry.
    for (const d of dirs) {
      const names = await fsp.readdir(path.join(this.opts.realRoot, d)).catch(() => [] as string[]);
      for (const n of names) this.pending.add(d === '' ? n : `${d}/${n}`);
      for (const f of this.opts.index.filesUnder(d)) if (!f.slice(d === '' ? 0 : d.length + 1).includes('/')) this.pending.add(f);
    }
    const paths = [...this.pending];
    this.pending.clear();
    if (paths.length === 0) return;
    const changes: AppliedChange[] = [];
    for (const rel of paths) await this.check(rel, changes);
    if (changes.length > 0) this.opts.onChanges(changes);
  }

  private async check(rel: string, changes: AppliedChange[]): Promise<void> {
    const { index, realRoot } = this.opts;
    const abs = path.join(realRoot, rel);
    const st = await fsp.lstat(abs).catch(() => null);
    if (!st) {
      if (index.directories.has(rel)) this.removeTree(rel, changes);
      else push(changes, index.apply(rel, null));
      return;
    }
    if (st.isDirectory()) {
      if (index.has(rel)) push(changes, index.apply(rel, null)); // a file replaced by a directory
      if (!index.directories.has(rel) && index.isIndexable(rel, true)) await this.addTree(rel, changes);
      return;
    }
    if (st.isFile()) {
      if (!index.has(rel) && !index.isIndexable(rel, false)) return;
      if (mayCarryToken(rel) && (await carriesToken(realRoot, rel))) {
        push(changes, index.apply(rel, null)); // it gained a token: out of the index
        return;
      }
      push(changes, index.apply(rel, { size: st.size, mtimeMs: st.mtimeMs }));
      return;
    }
    // A symlink, FIFO, socket or device where a file was: it leaves the index.
    if (index.has(rel)) push(changes, index.apply(rel, null));
    if (index.directories.has(rel)) this.removeTree(rel, changes);
  }

  private removeTree(rel: string, changes: AppliedChange[]): void {
    const { index } = this.opts;
    for (const f of index.filesUnder(rel)) push(changes, index.apply(f, null));
    index.removeDirectory(rel);
    this.backend?.removeDir(rel);
  }

  /** A new directory (created, or moved in with its contents): watch it and index its files. */
  private async addTree(rel: string, changes: AppliedChange[]): Promise<void> {
    const { index, realRoot } = this.opts;
    const queue = [rel];
    const walked: string[] = [];
    let seen = 0;
    while (queue.length > 0) {
      const dir = queue.shift()!;
      if (index.directories.has(dir) && dir !== rel) continue;
      walked.push(dir);
      index.addDirectory(dir);
      this.backend?.addDir(dir);
      const entries = await fsp.readdir(path.join(realRoot, dir), { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (++seen > MAX_INLINE_WALK) {
          this.opts.onRescanNeeded(`large directory tree appeared: ${rel}`);
          return;
        }
        const child = `${dir}/${e.name}`;
        if (e.isDirectory()) {
          if (index.isIndexable(child, true)) queue.push(child);
        } else if (e.isFile() && index.isIndexable(child, false)) {
          const st = await fsp.lstat(path.join(realRoot, child)).catch(() => null);
          if (st?.isFile()) push(changes, index.apply(child, { size: st.size, mtimeMs: st.mtimeMs }));
        }
      }
    }
    // Files created between our readdir and the new watch are caught by later looks. The native
    // backend's watch exists before the readdir; chokidar sets its own only after an async read
    // of the new directory, which on a loaded machine can take longer than the first look.
    for (const delay of RELOOK_AFTER_MS) {
      setTimeout(() => {
        if (this.closed) return;
        for (const dir of walked) this.pendingDirs.add(dir);
        this.schedule();
      }, delay).unref();
    }
  }
}

function push(changes: AppliedChange[], c: AppliedChange | null): void {
  if (c) changes.push(c);
}
