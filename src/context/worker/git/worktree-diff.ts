import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { countLineChanges } from './line-diff.js';
import type { GitChange } from './git-facts.js';
import { readContainedFileSync } from '../../files/safe-read.js';

/**
 * Status and `+N -M` of just-edited files without a git process per request: one long-lived
 * `git cat-file --batch` per work tree (started once in the worker that owns it) gives the HEAD
 * version, the worktree version is read directly, and the lines are counted in-process. A git
 * spawn costs ≥ 40 ms on a 50k-file repository (it reads the whole index); this costs a few ms.
 * Used only where it matches git exactly (no .gitattributes filters or eol conversion); the
 * authoritative `git status` refresh still runs and replaces these results when it lands.
 */

export interface WorktreeDiffTask {
  /** Work tree top level (cat-file runs there). */
  toplevel: string;
  /** The project root relative to the top level, '' or with a trailing slash. */
  prefix: string;
  realRoot: string;
  paths: string[];
  /** Changes git reported last time, for statuses the worktree alone cannot tell (added). */
  known: Array<[string, string]>;
}

export type WorktreeDiffResult = { ok: true; changes: GitChange[]; clean: string[]; unresolved: string[] } | { ok: false; code: string; message: string };

interface Pending {
  resolve(v: Buffer | null): void;
  reject(err: Error): void;
}

/**
 * A `git cat-file --batch` process: one request line in, one object (or "missing") out.
 *
 * It never keeps its thread (or the process) alive on its own: the child and its stdin are
 * unreferenced, and stdout is referenced only while an answer is awaited (so a caller awaiting one
 * is not cut short). After `IDLE_CLOSE_MS` without requests it ends, so the processes of work
 * trees no longer asked about do not pile up.
 */
export class CatFile {
  private child: ChildProcessWithoutNullStreams | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly queue: Pending[] = [];
  private expect: { size: number } | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly cwd: string) {}

  get(spec: string): Promise<Buffer | null> {
    if (/[\n\0]/.test(spec)) return Promise.resolve(null);
    const child = this.ensure();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.queue.length === 0) pipe(child.stdout).ref();
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      child.stdin.write(`${spec}\n`);
    });
  }

  /** End the git process (its stdin closes, git exits); a later `get` starts a new one. */
  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const child = this.child;
    this.child = null;
    if (!child) return;
    pipe(child.stdout).unref();
    child.stdin.end();
  }

  private ensure(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn('git', ['--no-optional-locks', 'cat-file', '--batch'], { cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
      if (this.queue.length === 0 && this.child === child) this.idle(child);
    });
    const fail = (err: Error): void => {
      if (this.child === child) this.child = null;
      this.buffer = Buffer.alloc(0);
      this.expect = null;
      for (const p of this.queue.splice(0)) p.reject(err);
    };
    child.on('error', fail);
    child.on('exit', () => fail(new Error('git cat-file exited')));
    child.stderr.resume();
    child.unref();
    pipe(child.stdin).unref();
    pipe(child.stderr).unref();
    return child;
  }

  private idle(child: ChildProcessWithoutNullStreams): void {
    pipe(child.stdout).unref();
    this.idleTimer = setTimeout(() => this.close(), IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  private drain(): void {
    for (;;) {
      if (!this.expect) {
        const nl = this.buffer.indexOf(10);
        if (nl < 0) return;
        const header = this.buffer.subarray(0, nl).toString('utf8');
        this.buffer = this.buffer.subarray(nl + 1);
        if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
          this.queue.shift()?.resolve(null);
          continue;
        }
        const size = Number(header.split(' ')[2]);
        if (!Number.isFinite(size)) {
          this.queue.shift()?.resolve(null);
          continue;
        }
        this.expect = { size };
      }
      if (this.buffer.length < this.expect.size + 1) return;
      const body = Buffer.from(this.buffer.subarray(0, this.expect.size));
      this.buffer = this.buffer.subarray(this.expect.size + 1);
      this.expect = null;
      this.queue.shift()?.resolve(body);
    }
  }
}

/** The pipes of a spawned child are sockets at run time (typed as plain streams). */
function pipe(stream: object): Socket {
  return stream as Socket;
}

/** One cat-file process per work tree, per thread (each worker has its own module state). */
const catFiles = new Map<string, CatFile>();
const CAT_FILE_WINDOW = 64;
const IDLE_CLOSE_MS = 30_000;

/** End every cat-file process of this thread (tests, shutdown of a thread that used them). */
export function closeCatFiles(): void {
  for (const cat of catFiles.values()) cat.close();
  catFiles.clear();
}

/** Compute changes for `paths` relative to HEAD (worker side). */
export async function worktreeDiff(task: WorktreeDiffTask): Promise<WorktreeDiffResult> {
  let cat = catFiles.get(task.toplevel);
  if (!cat) catFiles.set(task.toplevel, (cat = new CatFile(task.toplevel)));
  // An empty task primes the cat-file process (spawning git costs ~40 ms once).
  if (task.paths.length === 0) await cat.get('HEAD').catch(() => null);
  const known = new Map(task.known);
  const changes: GitChange[] = [];
  const clean: string[] = [];
  const unresolved: string[] = [];
  // Requests are pipelined (a window of them in flight) rather than one round trip per file:
  // cat-file answers in order, and the first full scan of a dirty tree asks for hundreds.
  const inFlight: Array<Promise<Buffer | null | undefined>> = [];
  const ask = (i: number): void => {
    const rel = task.paths[i];
    if (rel !== undefined) inFlight.push(cat.get(`HEAD:${task.prefix}${rel}`).catch(() => undefined));
  };
  for (let i = 0; i < CAT_FILE_WINDOW; i++) ask(i);
  for (const [i, rel] of task.paths.entries()) {
    const head = await inFlight.shift()!;
    ask(i + CAT_FILE_WINDOW);
    if (head === undefined) {
      unresolved.push(rel);
      continue;
    }
    const r = readContainedFileSync(task.realRoot, rel, 4 * 1024 * 1024);
    const exists = r.ok;
    if (!r.ok && r.reason !== 'missing') {
      unresolved.push(rel); // a symlink, a huge file…: let git answer
      continue;
    }
    if (!head && !exists) {
      clean.push(rel);
      continue;
    }
    if (!head) {
      const counts = countLineChanges(Buffer.alloc(0), r.ok ? r.data : Buffer.alloc(0));
      const added = known.get(rel) === 'added';
      changes.push({ path: rel, status: added ? 'added' : 'untracked', staged: added, diff: diffText(counts) });
      continue;
    }
    if (!exists) {
      changes.push({ path: rel, status: 'deleted', staged: false, diff: diffText(countLineChanges(head, Buffer.alloc(0))) });
      continue;
    }
    const data = (r as { data: Buffer }).data;
    if (head.equals(data)) {
      clean.push(rel);
      continue;
    }
    const counts = countLineChanges(head, data);
    if (counts === null) {
      unresolved.push(rel);
      continue;
    }
    changes.push({ path: rel, status: 'modified', staged: false, diff: diffText(counts) });
  }
  return { ok: true, changes, clean, unresolved };
}

function diffText(c: ReturnType<typeof countLineChanges>): string {
  if (c === null) return '';
  if (c === 'binary') return 'binary';
  return `+${c.added} -${c.deleted}`;
}
