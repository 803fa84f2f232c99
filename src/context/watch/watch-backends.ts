import fs from 'node:fs';
import path from 'node:path';
import type { FSWatcher as ChokidarWatcher } from 'chokidar';

/**
 * Directory watch backends. Both watch directories only (never one watch per file) and report
 * "something happened to `name` inside directory `dir`"; the ProjectWatcher then lstat's the
 * path and decides (add / change / unlink / new directory). Paths are relative to the root,
 * POSIX separators, '' = root.
 *
 * - `native`: one `fs.watch` per directory the index holds (~0.2 s and ~50 MB for a 50k-file
 *   tree of 5.5k directories).
 * - `chokidar`: chokidar 4 on the root with an `ignored` function built from the same rules;
 *   files are ignored (directory events carry their names through chokidar's `raw` event), so
 *   it holds one inotify watch per directory too. Chokidar still lstat's every entry of every
 *   directory while it sets up (its readdirp always asks for stats), which costs ~3 s on the
 *   same tree: measured in bench/context-watcher.ts.
 */
export interface WatchBackend {
  /** Start watching; resolves when the initial set is in place. */
  start(dirs: Iterable<string>): Promise<void>;
  /** A directory appeared (native only; chokidar follows new directories itself). */
  addDir(rel: string): void;
  /** A directory went away: drop its watch and its descendants'. */
  removeDir(rel: string): void;
  /** After a rescan: watch exactly these directories. */
  sync(dirs: ReadonlySet<string>): void;
  close(): Promise<void>;
  /** Number of directories watched. */
  readonly watchCount: number;
}

export interface BackendHandlers {
  onEvent(dirRel: string, name: string | null): void;
  /** A new directory seen by the backend itself (chokidar `addDir`). */
  onDirAdded?(rel: string): void;
  onDirRemoved?(rel: string): void;
  onError(err: Error): void;
}

const relOf = (root: string, abs: string): string => {
  const r = path.relative(root, abs);
  return r === '' ? '' : r.split(path.sep).join('/');
};

/** One `fs.watch` per directory. */
export class NativeDirWatcher implements WatchBackend {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private failed = false;

  constructor(
    private readonly root: string,
    private readonly handlers: BackendHandlers,
  ) {}

  async start(dirs: Iterable<string>): Promise<void> {
    let n = 0;
    for (const d of dirs) {
      this.addDir(d);
      if (this.failed) return;
      // Each fs.watch is a synchronous inotify_add_watch: yield now and then so thousands of
      // directories never hold the event loop for more than a few ms.
      if (++n % 200 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  addDir(rel: string): void {
    if (this.failed || this.watchers.has(rel)) return;
    const abs = rel === '' ? this.root : path.join(this.root, rel);
    let w: fs.FSWatcher;
    try {
      // persistent: false — the HTTP server keeps the process alive; a watcher alone must not.
      w = fs.watch(abs, { persistent: false, encoding: 'utf8' }, (_event, name) => this.handlers.onEvent(rel, name ?? null));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // The directory vanished or is not a directory any more: nothing to watch.
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM') return;
      this.failed = true; // ENOSPC (inotify limit), EMFILE…
      this.handlers.onError(err as Error);
      return;
    }
    w.on('error', (err: NodeJS.ErrnoException) => {
      this.drop(rel);
      if (err.code === 'ENOENT' || err.code === 'EPERM' || err.code === 'EACCES') this.handlers.onEvent(parentOf(rel), baseOf(rel));
      else this.handlers.onError(err);
    });
    this.watchers.set(rel, w);
  }

  removeDir(rel: string): void {
    for (const d of [...this.watchers.keys()]) if (d === rel || d.startsWith(rel + '/')) this.drop(d);
  }

  sync(dirs: ReadonlySet<string>): void {
    for (const d of [...this.watchers.keys()]) if (!dirs.has(d)) this.drop(d);
    for (const d of dirs) this.addDir(d);
  }

  private drop(rel: string): void {
    const w = this.watchers.get(rel);
    if (!w) return;
    this.watchers.delete(rel);
    try {
      w.close();
    } catch {
      // already closed
    }
  }

  close(): Promise<void> {
    for (const d of [...this.watchers.keys()]) this.drop(d);
    return Promise.resolve();
  }

  get watchCount(): number {
    return this.watchers.size;
  }
}

/** chokidar 4, directories only. */
export class ChokidarDirWatcher implements WatchBackend {
  private watcher: ChokidarWatcher | null = null;
  private dirs = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly handlers: BackendHandlers,
    /** Same rules as the index: should this directory be watched? */
    private readonly watchable: (rel: string) => boolean,
  ) {}

  async start(dirs: Iterable<string>): Promise<void> {
    this.dirs = new Set(dirs);
    // Loaded only when configured: the default backend does not need it.
    const { watch: chokidarWatch } = await import('chokidar');
    return new Promise((resolve) => {
      const w = chokidarWatch(this.root, {
        ignoreInitial: true,
        followSymlinks: false,
        // No atomic-write emulation: it delays every unlink by 100 ms.
        atomic: false,
        persistent: false,
        ignorePermissionErrors: true,
        ignored: (p: string, stats?: fs.Stats) => {
          // Files are never watched one by one: their directory's watch reports them.
          if (stats && !stats.isDirectory()) return true;
          const rel = relOf(this.root, p);
          if (rel === '' || rel.startsWith('..')) return false;
          return !(this.dirs.has(rel) || this.watchable(rel));
        },
      });
      this.watcher = w;
      w.on('raw', (_event, evPath, details) => {
        const watched = (details as { watchedPath?: string } | undefined)?.watchedPath;
        if (!watched) return;
        const dir = relOf(this.root, watched);
        if (dir.startsWith('..')) return;
        this.handlers.onEvent(dir, evPath ? path.basename(evPath) : null);
      });
      w.on('addDir', (p: string) => {
        const rel = relOf(this.root, p);
        this.dirs.add(rel);
        this.handlers.onDirAdded?.(rel);
      });
      w.on('unlinkDir', (p: string) => {
        const rel = relOf(this.root, p);
        this.dirs.delete(rel);
        this.handlers.onDirRemoved?.(rel);
      });
      w.on('error', (err: unknown) => this.handlers.onError(err instanceof Error ? err : new Error(String(err))));
      w.on('ready', () => resolve());
    });
  }

  addDir(): void {
    // chokidar follows new directories itself.
  }

  removeDir(rel: string): void {
    for (const d of [...this.dirs]) if (d === rel || d.startsWith(rel + '/')) this.dirs.delete(d);
  }

  sync(dirs: ReadonlySet<string>): void {
    // chokidar follows the tree itself; the set only widens what `ignored` lets through.
    for (const d of dirs) this.dirs.add(d);
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = null;
  }

  get watchCount(): number {
    return this.dirs.size;
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}
