import type { ComponentLogger } from '../logging/component-logger.js';
import { promises as fsp, readdirSync, lstatSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { AppError, StorageReadError, StorageWriteError } from '../errors/index.js';
import { ensureSecureDir, isDiskFull, writeFileAtomic } from '../storage/atomic-write.js';
import { KeyedQueue } from '../results/keyed-queue.js';
import { ensureSubdirs, readRegularFile, readRegularFileSync, UnsafePathError } from '../storage/secure-tree.js';
import { isSafeId } from '../contract/ids.js';
import { issueRevisionSchema } from '../contract/issues.js';
import type { IssueRecord, IssueRevision } from './issue-record.js';
import type { IssuePageFilter, IssuePageFound, IssueRepository, IssueRepositoryHealth } from './issue-repository.js';

export interface FileIssueRepositoryOptions {
  /** The sidecar storage dir; issues live in `<storagePath>/issues`. */
  storagePath: string;
  log?: ComponentLogger;
  /** The durable writer; injectable so tests can simulate a full disk. */
  writeFile?: (file: string, data: string) => Promise<void>;
}

export interface IssueOpenReport {
  issues_loaded: number;
  /** Revision files that did not parse or did not match their path, renamed to `*.corrupt`. */
  corrupt_files: number;
  duration_ms: number;
}

export const ISSUES_DIR = 'issues';
const REVISION_FILE = /^(\d{8})\.json$/;

function revisionFile(revision: number): string {
  return `${String(revision).padStart(8, '0')}.json`;
}

function freeze(revision: IssueRevision): IssueRevision {
  Object.freeze(revision.record.labels);
  Object.freeze(revision.record.files);
  Object.freeze(revision.record);
  return Object.freeze(revision);
}

/** A revision file's text as stored, checked against the path it was found at. */
function parseRevision(text: string, projectId: string, issueId: string, revision: number): IssueRevision | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const body = json as { record?: unknown; deleted_at?: unknown } | null;
  const parsed = issueRevisionSchema.safeParse(body && typeof body === 'object' ? { ...(body.record as object), deleted_at: body.deleted_at } : undefined);
  if (!parsed.success) return undefined;
  const { deleted_at: deletedAt, ...record } = parsed.data;
  if (record.project_id !== projectId || record.issue_id !== issueId || record.revision !== revision) return undefined;
  return freeze({ record, deleted_at: deletedAt });
}

/**
 * Issues as JSON files: `<storage>/issues/<project_id>/<issue_id>/<revision>.json`, one file per
 * revision, never rewritten, so the history is the directory and a crash loses at most the write
 * in flight (each file is written atomically: temp file O_EXCL|O_NOFOLLOW 0600, fsync, rename,
 * fsync of the directory). The newest revision of every issue is held in memory (read at open),
 * so the context engine's lookup on every request costs no I/O; memory is about the size of the
 * newest texts (1,000 issues of 4 KiB ≈ 5 MiB). Writes of one issue are serialised.
 *
 * @example const repo = await FileIssueRepository.open({ storagePath: '/tmp/cco' })
 */
export class FileIssueRepository implements IssueRepository {
  private readonly heads = new Map<string, Map<string, IssueRevision>>();
  private readonly queue = new KeyedQueue();
  private readonly writeFile: (file: string, data: string) => Promise<void>;
  private failedWrite = false;
  private closed = false;
  openReport: IssueOpenReport = { issues_loaded: 0, corrupt_files: 0, duration_ms: 0 };

  private constructor(
    private readonly root: string,
    private readonly realRoot: string,
    private readonly options: FileIssueRepositoryOptions,
  ) {
    this.writeFile = options.writeFile ?? ((file, data) => writeFileAtomic(file, data));
  }

  static async open(options: FileIssueRepositoryOptions): Promise<FileIssueRepository> {
    const root = path.join(options.storagePath, ISSUES_DIR);
    await ensureSecureDir(root);
    const repo = new FileIssueRepository(root, await fsp.realpath(root), options);
    repo.load();
    return repo;
  }

  head(projectId: string, issueId: string): Promise<IssueRevision | undefined> {
    return Promise.resolve(this.heads.get(projectId)?.get(issueId));
  }

  put(record: IssueRecord): Promise<boolean> {
    return this.store({ record: structuredClone(record), deleted_at: null });
  }

  delete(record: IssueRecord, deletedAt: string): Promise<boolean> {
    return this.store({ record: structuredClone(record), deleted_at: deletedAt });
  }

  listPage(filter: IssuePageFilter, limit: number): Promise<IssuePageFound> {
    const heads = this.heads.get(filter.project_id);
    if (!heads) return Promise.resolve({ issues: [], more: false });
    const ids: string[] = [];
    for (const [id, head] of heads) {
      if (head.deleted_at !== null) continue;
      if (filter.after !== undefined && id <= filter.after) continue;
      if (filter.label !== undefined && !head.record.labels.includes(filter.label)) continue;
      ids.push(id);
    }
    // Safe ids are ASCII: the default sort is code-unit order, as the cursor expects.
    ids.sort();
    const page = ids.slice(0, limit).map((id) => heads.get(id)!.record);
    return Promise.resolve({ issues: page, more: ids.length > limit });
  }

  async history(projectId: string, issueId: string): Promise<IssueRevision[]> {
    if (!isSafeId(projectId) || !isSafeId(issueId) || !this.heads.get(projectId)?.has(issueId)) return [];
    const dir = path.join(this.root, projectId, issueId);
    try {
      const names = (await fsp.readdir(dir)).filter((n) => REVISION_FILE.test(n)).sort();
      const out: IssueRevision[] = [];
      for (const name of names) {
        const revision = Number(REVISION_FILE.exec(name)![1]);
        const { text } = await readRegularFile(path.join(dir, name));
        const parsed = parseRevision(text, projectId, issueId, revision);
        if (parsed) out.push(parsed);
        else this.options.log?.warn({ file: path.join(projectId, issueId, name) }, 'skipped an unreadable issue revision');
      }
      return out;
    } catch (err) {
      this.options.log?.error({ err }, 'issue history read failed');
      throw new StorageReadError('Issue storage read failed');
    }
  }

  health(): IssueRepositoryHealth {
    return this.closed ? 'down' : this.failedWrite ? 'degraded' : 'ok';
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.drain();
  }

  /** Compare-and-set on the in-memory head, under the issue's queue, then one atomic file write. */
  private store(revision: IssueRevision): Promise<boolean> {
    const { project_id: projectId, issue_id: issueId } = revision.record;
    return this.queue.run(`${projectId}/${issueId}`, async () => {
      if (this.closed) throw new StorageWriteError('Issue storage is closed');
      const current = this.heads.get(projectId)?.get(issueId)?.record.revision ?? 0;
      if (current !== revision.record.revision - 1) return false;
      try {
        const dir = await ensureSubdirs(this.root, this.realRoot, [projectId, issueId]);
        await this.writeFile(path.join(dir, revisionFile(revision.record.revision)), `${JSON.stringify(revision)}\n`);
      } catch (err) {
        this.failedWrite = true;
        throw this.writeError(err);
      }
      this.failedWrite = false;
      let project = this.heads.get(projectId);
      if (!project) this.heads.set(projectId, (project = new Map<string, IssueRevision>()));
      project.set(issueId, freeze(revision));
      return true;
    });
  }

  private writeError(err: unknown): AppError {
    if (err instanceof AppError) return err;
    if (isDiskFull(err)) return new StorageWriteError('Issue storage is full: no space left for the issue', true);
    if (err instanceof UnsafePathError) {
      this.options.log?.error({ err }, 'refused to write an issue through a symbolic link');
      return new StorageWriteError('Issue storage path is unsafe (a symbolic link in the issue tree); issue not stored');
    }
    this.options.log?.error({ err }, 'issue write failed');
    return new StorageWriteError('Issue storage write failed');
  }

  /**
   * Read the newest valid revision of every issue (sync: nothing is served yet). Links and
   * foreign names are skipped, leftover temp files removed, and a revision file that does not
   * parse is renamed to `*.corrupt` (kept for inspection) so the one before it is the head.
   */
  private load(): void {
    const started = Date.now();
    const dirs = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && isSafeId(e.name))
        .map((e) => e.name);
    for (const projectId of dirs(this.root)) {
      const project = new Map<string, IssueRevision>();
      for (const issueId of dirs(path.join(this.root, projectId))) {
        const dir = path.join(this.root, projectId, issueId);
        const names = readdirSync(dir);
        for (const name of names) if (name.startsWith('.') && name.endsWith('.tmp')) unlinkSync(path.join(dir, name));
        for (const name of names
          .filter((n) => REVISION_FILE.test(n))
          .sort()
          .reverse()) {
          const file = path.join(dir, name);
          let parsed: IssueRevision | undefined;
          if (lstatSync(file).isFile()) parsed = parseRevision(readRegularFileSync(file).text, projectId, issueId, Number(REVISION_FILE.exec(name)![1]));
          if (parsed) {
            project.set(issueId, parsed);
            break;
          }
          renameSync(file, `${file}.corrupt`);
          this.openReport.corrupt_files++;
          this.options.log?.warn({ file: path.join(projectId, issueId, name) }, 'issue revision file is unreadable; renamed to .corrupt');
        }
      }
      if (project.size > 0) this.heads.set(projectId, project);
      this.openReport.issues_loaded += project.size;
    }
    this.openReport.duration_ms = Date.now() - started;
  }
}
