import { accessSync, constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { AppError, StorageReadError, StorageWriteError } from '../errors/index.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { ensureSecureDir, fsyncDir, isDiskFull, writeFileAtomic } from '../storage/atomic-write.js';
import type { StoredEnvelope } from './envelope-schema.js';
import { KeyedQueue } from './keyed-queue.js';
import { ResultIndex, pairKey, type IndexEntry } from './result-index.js';
import { RESULT_ID_PATTERN, resultIdFloor } from './result-id.js';
import { ResultQuarantine } from './result-quarantine.js';
import type { FoundResults, ResultFilter, ResultRepository } from './result-repository.js';
import type { QuarantinedFile, ResultEnvelope, ResultStoreHealth, ResultStoreStats } from './result-store.js';
import { ensureSubdirs, readRegularFile, UnsafePathError } from '../storage/secure-tree.js';
import { HISTORY_DIR, QUARANTINE_DIR, scanResultTree } from './tree-scan.js';

export interface FileResultRepositoryOptions {
  /** The sidecar storage dir; results live in `<storagePath>/results`. */
  storagePath: string;
  /** Clock (names of quarantined files). */
  now?: () => number;
  log?: ComponentLogger;
  /** The durable writer; injectable so tests can simulate a full disk. */
  writeFile?: (file: string, data: string) => Promise<void>;
  /** Bytes of recently stored or read envelopes kept parsed in memory (default 32 MiB; 0 = none). */
  cacheBytes?: number;
}

/** What `open` found and did. */
export interface OpenReport {
  results_indexed: number;
  quarantined: QuarantinedFile[];
  temp_files_removed: number;
  expired_removed: number;
  duration_ms: number;
}

const READ_CONCURRENCY = 32;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Run `fn` over `items` with at most `limit` in flight, keeping order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The embedded `ResultRepository`: JSON files under `<storage>/results`, an in-memory index
 * rebuilt at open, writes serialised per (project, issue, agent type).
 *
 * Layout: `<project>/<issue>/<agent_type>.json` holds the newest envelope of that agent type;
 * each time a newer one is stored, the previous file is first renamed (same inode, nothing is
 * rewritten) to `<project>/<issue>/history/<agent_type>/<result_id>.json`, so every result is
 * kept until retention removes it. A file holds the envelope without `storage_path`; reads add
 * the path the file is at now.
 *
 * Crash safety: the move to history is fsynced before the new latest is written (temp file,
 * fsync, rename, fsync dir via `writeFileAtomic`). A crash in between leaves the old result in
 * history and no latest file; the rebuild at open indexes both places either way. Temp files of
 * unfinished writes are deleted at open (they were never acknowledged); files that do not parse
 * or do not match their location are moved to `.quarantine/` and reported.
 *
 * Single-process: the per-pair queue only orders writes of this process; several sidecars on
 * one storage dir need the PostgreSQL backend.
 */
export class FileResultRepository implements ResultRepository {
  readonly root: string;
  readonly openReport: OpenReport = {
    results_indexed: 0,
    quarantined: [],
    temp_files_removed: 0,
    expired_removed: 0,
    duration_ms: 0,
  };

  private readonly index = new ResultIndex();
  private readonly queue = new KeyedQueue();
  private readonly writeFile: (file: string, data: string) => Promise<void>;
  private readonly quarantine: ResultQuarantine;
  /** Envelopes never change once stored (only their file moves), so a cache needs no invalidation beyond removal. */
  private readonly cache: LRUCache<string, StoredEnvelope> | undefined;
  private expiredRemoved = 0;
  private closed = false;
  private lastWriteFailed = false;

  private constructor(
    private readonly realRoot: string,
    private readonly options: FileResultRepositoryOptions,
  ) {
    this.root = path.join(options.storagePath, 'results');
    this.writeFile = options.writeFile ?? ((file, data) => writeFileAtomic(file, data));
    this.quarantine = new ResultQuarantine(this.root, options.now ?? Date.now, options.log);
    this.openReport.quarantined = this.quarantine.reported;
    const cacheBytes = options.cacheBytes ?? 32 * 1_048_576;
    this.cache =
      cacheBytes > 0
        ? new LRUCache<string, StoredEnvelope>({ maxSize: cacheBytes, sizeCalculation: (_v, id) => Math.max(1, this.index.get(id)?.size ?? 1) })
        : undefined;
  }

  /**
   * Open (creating if needed) the tree: rebuild the index, quarantine what cannot be trusted.
   * Never fails because of a bad result file; fails only when the results directory itself is
   * unusable (e.g. a symlink).
   */
  static async open(options: FileResultRepositoryOptions): Promise<FileResultRepository> {
    await ensureSecureDir(options.storagePath);
    const root = path.join(options.storagePath, 'results');
    let st;
    try {
      st = await fsp.lstat(root);
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw err;
    }
    if (st === undefined) {
      await ensureSecureDir(root);
      await fsyncDir(options.storagePath);
    } else if (st.isSymbolicLink() || !st.isDirectory()) {
      throw new UnsafePathError(root, 'the results directory is a symbolic link or not a directory');
    } else {
      await ensureSecureDir(root);
    }
    const repo = new FileResultRepository(await fsp.realpath(root), options);
    await ensureSubdirs(repo.root, repo.realRoot, [QUARANTINE_DIR]);
    await repo.rebuild();
    return repo;
  }

  newestId(): string | undefined {
    return this.index.greatestId();
  }

  insert(envelope: StoredEnvelope): Promise<ResultEnvelope> {
    if (this.closed) return Promise.reject(new StorageWriteError('Result store is closed'));
    const pair = pairKey(envelope.project_id, envelope.issue_id, envelope.agent_type);
    // Queued synchronously, so inserts of one pair complete in call order (= id order).
    return this.queue.run(pair, () => this.writeLocked(envelope, pair));
  }

  async get(id: string): Promise<ResultEnvelope | undefined> {
    if (typeof id !== 'string' || !RESULT_ID_PATTERN.test(id)) return undefined;
    const entry = this.index.get(id);
    return entry ? this.read(entry) : undefined;
  }

  async find(filter: ResultFilter, limit: number): Promise<FoundResults> {
    const { ids, more } = this.index.query(filter, limit);
    const envelopes = await this.readIds(ids);
    return { results: envelopes, more, lastId: ids[ids.length - 1] };
  }

  latestOfIssue(projectId: string, issueId: string): Promise<ResultEnvelope[]> {
    return this.readIds(this.index.latestOfIssue(projectId, issueId));
  }

  async deleteStoredBefore(cutoffMs: number): Promise<number> {
    const removed = await this.sweep(cutoffMs);
    this.expiredRemoved += removed;
    return removed;
  }

  stats(): ResultStoreStats {
    const bytes = this.index.totalBytes;
    return {
      results_stored: this.index.size,
      total_size_bytes: bytes,
      total_size_mb: Math.round((bytes / 1_048_576) * 1000) / 1000,
      quarantined: this.quarantine.count,
      expired_removed: this.expiredRemoved,
    };
  }

  health(): ResultStoreHealth {
    if (this.closed) return 'down';
    try {
      // One access(2) on a local dir: microseconds, acceptable on every /health probe.
      accessSync(this.realRoot, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch {
      return 'down';
    }
    return this.lastWriteFailed ? 'degraded' : 'ok';
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.drain();
  }

  // ---- internals ----

  private async readIds(ids: readonly string[]): Promise<ResultEnvelope[]> {
    const envelopes = await mapLimited(ids, READ_CONCURRENCY, async (id) => {
      const entry = this.index.get(id);
      return entry ? this.read(entry) : undefined;
    });
    // An entry can expire between the index walk and the read.
    return envelopes.filter((e): e is ResultEnvelope => e !== undefined);
  }

  private async writeLocked(stored: StoredEnvelope, pair: string): Promise<ResultEnvelope> {
    const data = `${JSON.stringify(stored, null, 2)}\n`;
    let latest: string;
    try {
      // One check covers the pair dir too: it is an ancestor of the history dir.
      const historyDir = await ensureSubdirs(this.root, this.realRoot, [stored.project_id, stored.issue_id, HISTORY_DIR, stored.agent_type]);
      latest = path.join(this.root, stored.project_id, stored.issue_id, `${stored.agent_type}.json`);
      await this.retireLatest(pair, latest, historyDir);
      await this.writeFile(latest, data);
    } catch (err) {
      this.lastWriteFailed = true;
      throw this.writeError(err);
    }
    this.lastWriteFailed = false;
    this.index.add({
      id: stored.id,
      project_id: stored.project_id,
      issue_id: stored.issue_id,
      agent_type: stored.agent_type,
      agent_id: stored.agent_id,
      status: stored.result.status,
      timestamp_ms: Date.parse(stored.timestamp),
      file: latest,
      size: Buffer.byteLength(data),
    });
    this.index.setLatestFile(pair, stored.id);
    this.remember(stored);
    return { ...stored, storage_path: latest };
  }

  /** Move the pair's current latest file into history (or quarantine whatever else sits there). */
  private async retireLatest(pair: string, latest: string, historyDir: string): Promise<void> {
    let st;
    try {
      st = await fsp.lstat(latest);
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw err;
      this.index.setLatestFile(pair, undefined);
      return;
    }
    const oldId = this.index.latestFileId(pair);
    if (st.isFile() && oldId !== undefined && this.index.has(oldId)) {
      const dest = path.join(historyDir, `${oldId}.json`);
      await fsp.rename(latest, dest);
      this.index.relocate(oldId, dest);
      this.index.setLatestFile(pair, undefined);
      // The old result must be durable in history before its old name is reused.
      await fsyncDir(historyDir);
      return;
    }
    // A link planted at the destination, a directory, or a file the index does not know: move
    // it aside (rename moves a link itself, never its target) rather than write anywhere near it.
    // Whatever was indexed at this path was replaced by it, so that entry is gone.
    if (oldId !== undefined) {
      this.index.remove(oldId);
      this.cache?.delete(oldId);
    }
    await this.quarantine.move(
      latest,
      st.isSymbolicLink()
        ? 'symbolic link at a latest-result path'
        : st.isFile()
          ? 'unindexed file at a latest-result path'
          : 'not a regular file at a latest-result path',
    );
  }

  private writeError(err: unknown): AppError {
    if (err instanceof AppError) return err;
    if (isDiskFull(err)) return new StorageWriteError('Result storage is full: no space left for the result', true);
    if (err instanceof UnsafePathError) {
      this.options.log?.error({ err }, 'refused to write a result through a symbolic link');
      return new StorageWriteError('Result storage path is unsafe (a symbolic link in the result tree); result not stored');
    }
    this.options.log?.error({ err }, 'result write failed');
    return new StorageWriteError('Result storage write failed');
  }

  /** Cache a stored envelope, frozen: callers share it and must not be able to change it. */
  private remember(stored: StoredEnvelope): void {
    if (!this.cache) return;
    deepFreeze(stored);
    this.cache.set(stored.id, stored);
  }

  /** Read an envelope (cache first); follows a concurrent latest → history move once. */
  private async read(entry: IndexEntry): Promise<ResultEnvelope | undefined> {
    const cached = this.cache?.get(entry.id);
    if (cached) return { ...cached, storage_path: entry.file };
    const tries = [entry.file, path.join(this.root, entry.project_id, entry.issue_id, HISTORY_DIR, entry.agent_type, `${entry.id}.json`)];
    for (const file of tries) {
      let text: string;
      try {
        ({ text } = await readRegularFile(file));
      } catch (err) {
        if (errno(err) === 'ENOENT') continue;
        this.options.log?.error({ err, result_id: entry.id }, 'result read failed');
        throw new StorageReadError('Result storage read failed');
      }
      let stored: StoredEnvelope;
      try {
        stored = JSON.parse(text) as StoredEnvelope;
      } catch {
        throw new StorageReadError('A stored result is unreadable');
      }
      if (this.index.get(entry.id) === entry) this.remember(stored);
      return { ...stored, storage_path: file };
    }
    // Gone from disk (deleted by hand, or expired meanwhile): forget it rather than fail forever.
    if (this.index.get(entry.id) === entry && !(await this.exists(entry.file))) this.index.remove(entry.id);
    return undefined;
  }

  private async exists(file: string): Promise<boolean> {
    try {
      await fsp.lstat(file);
      return true;
    } catch {
      return false;
    }
  }

  private async rebuild(): Promise<void> {
    const scan = await scanResultTree(this.root);
    for (const tmp of scan.temps) {
      try {
        await fsp.unlink(tmp);
        this.openReport.temp_files_removed++;
      } catch (err) {
        if (errno(err) !== 'ENOENT') this.options.log?.warn({ err }, 'could not remove a leftover temp file');
      }
    }
    for (const s of scan.suspicious) await this.quarantine.move(s.file, s.reason);
    // Sorted once, so every insert below is an append.
    scan.results.sort((a, b) => (a.envelope.id < b.envelope.id ? -1 : a.envelope.id > b.envelope.id ? 1 : Number(b.latest) - Number(a.latest)));
    for (const found of scan.results) {
      const e = found.envelope;
      const pair = pairKey(e.project_id, e.issue_id, e.agent_type);
      if (found.latest) this.index.setLatestFile(pair, e.id);
      // The same id in latest and history means a crash between the two renames: same bytes, keep one.
      if (this.index.has(e.id)) continue;
      this.index.add({
        id: e.id,
        project_id: e.project_id,
        issue_id: e.issue_id,
        agent_type: e.agent_type,
        agent_id: e.agent_id,
        status: e.result.status,
        timestamp_ms: Date.parse(e.timestamp),
        file: found.file,
        size: found.size,
      });
    }
    this.openReport.results_indexed = this.index.size;
    if (this.openReport.quarantined.length) {
      this.options.log?.warn({ quarantined: this.openReport.quarantined }, 'result files quarantined at start-up');
    }
  }

  private async sweep(cutoffMs: number): Promise<number> {
    const expired = this.index.idsBefore(resultIdFloor(cutoffMs));
    const byPair = new Map<string, string[]>();
    for (const id of expired) {
      const e = this.index.get(id) as IndexEntry;
      const key = pairKey(e.project_id, e.issue_id, e.agent_type);
      const list = byPair.get(key) ?? [];
      list.push(id);
      byPair.set(key, list);
    }
    let removed = 0;
    for (const [pair, ids] of byPair) {
      // Under the pair's queue, so a concurrent store cannot move a file while it is deleted.
      removed += await this.queue.run(pair, async () => {
        let n = 0;
        let sample: IndexEntry | undefined;
        for (const id of ids) {
          const e = this.index.get(id);
          if (!e) continue;
          try {
            await fsp.unlink(e.file);
          } catch (err) {
            if (errno(err) !== 'ENOENT') {
              this.options.log?.warn({ err, result_id: id }, 'could not remove an expired result; retrying next sweep');
              continue;
            }
          }
          this.index.remove(id);
          this.cache?.delete(id);
          sample = e;
          n++;
        }
        if (sample && this.index.query({ project_id: sample.project_id, issue_id: sample.issue_id, agent_type: sample.agent_type }, 1).ids.length === 0) {
          // The history dir belongs to this pair alone, so it is safe to drop under its queue.
          await fsp.rmdir(path.join(this.root, sample.project_id, sample.issue_id, HISTORY_DIR, sample.agent_type)).catch(() => undefined);
        }
        return n;
      });
    }
    return removed;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
