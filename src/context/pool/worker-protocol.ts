import type { AgentProfile } from '../ranking/agent-profiles.js';
import type { Strategy } from '../ranking/budget.js';
import type { IgnoreFile } from '../files/gitignore-rules.js';
import type { PathRulesOptions } from '../files/path-rules.js';
import type { RankSignals } from '../ranking/ranking.js';
import type { GitFacts } from '../worker/git/git-facts.js';
import type { GitWorkTree } from '../git/run-git.js';

/**
 * The closed message protocol between the main thread and the worker entry points in
 * `workers/`. Everything here is structured-clone safe. Errors never cross the boundary as
 * exceptions: every result is `{ok: true, …} | {ok: false, code, message}`.
 */

export type WorkerFailure = { ok: false; code: string; message: string };

/**
 * A scanned index in shared memory: build tasks receive these buffers without copying (sending
 * 50k paths as strings to a worker would cost several ms of main-thread serialisation per call).
 * Paths are sorted (JS string order) and stored as UTF-8, NUL-separated.
 */
export interface SnapshotBuffers {
  /** Unique per scan: the memo key in workers. */
  id: string;
  count: number;
  /** UTF-8 bytes of all paths, each followed by a NUL. */
  pathBytes: SharedArrayBuffer;
  /** Uint32Array(count + 1): byte offset of each path; the last entry is the total length. */
  offsets: SharedArrayBuffer;
  /** Float64Array(count) sizes in bytes. */
  sizes: SharedArrayBuffer;
  /** Float64Array(count) mtimes in ms. */
  mtimes: SharedArrayBuffer;
  /** Uint16Array(count) Kind bits. */
  kinds: SharedArrayBuffer;
  /** Uint8Array(count) language ids. */
  langs: SharedArrayBuffer;
  /** Uint8Array(count) directory depth (capped at 255). */
  depths: SharedArrayBuffer;
}

export interface ScanTask {
  root: string;
  realRoot: string;
  rules: PathRulesOptions;
  /** Use `git ls-files` when the root is inside a git work tree (tests can force the walker). */
  useGit: boolean;
  /** The index this scan replaces: the worker then also reports what changed since. */
  previous?: { snapshot: SnapshotBuffers; overlay: OverlayEntry[] };
  /** Inside a work tree, also collect the git facts from the same `git status` run. */
  gitFacts?: { recentCommits: number; maxUntrackedCounted: number };
}

/** A change between two states of the index. */
export interface IndexChange {
  path: string;
  kind: 'add' | 'change' | 'unlink';
}

export interface ScanSuccess {
  ok: true;
  mode: 'git' | 'walk';
  snapshot: SnapshotBuffers;
  totalBytes: number;
  byLanguage: Record<string, number>;
  /** Every directory worth watching (holding indexed files, or walked), sorted, '' = root. */
  directories: string[];
  /** `.gitignore` files (and git's info/exclude and global excludes at the root). */
  ignoreFiles: IgnoreFile[];
  /** Manifest paths up to two directories deep (package.json, pyproject.toml, …). */
  manifests: string[];
  timings: { listMs: number; statMs: number; totalMs: number };
  /** Present when the task had `previous`: what differs from it (size or mtime). */
  changes?: IndexChange[];
  /** The git work tree (null outside one). */
  tree: GitWorkTree | null;
  /** Present in git mode when the task asked for them. */
  gitFacts?: GitFacts;
}

export type GitFactsResult = ({ ok: true } & GitFacts) | WorkerFailure;
export type ScanResult = ScanSuccess | WorkerFailure;

/** One change on top of a snapshot: `[path, size, mtimeMs]`, or `[path]` for a deletion. */
export type OverlayEntry = [string, number, number] | [string];

export interface BuildTask {
  /** Only decode the snapshot (warms a worker thread after a scan); the result is empty. */
  prime?: boolean;
  root: string;
  realRoot: string;
  snapshot: SnapshotBuffers;
  overlay: OverlayEntry[];
  profile: AgentProfile;
  signals: RankSignals;
  maxBytes: number;
  maxFiles: number;
  strategy: Strategy;
  structureMaxFiles: number;
  maxFileBytes: number;
  rules: PathRulesOptions;
  /** Share of maxBytes kept free of contents for the code map (0: none). */
  codeMapShare?: number;
}

export interface RelevantFile {
  path: string;
  content: string;
  last_modified: string;
  size: number;
  language: string;
  checksum: string;
  truncated: boolean;
  reason: string;
}

export interface BuildSuccess {
  ok: true;
  relevantFiles: RelevantFile[];
  /** project_structure.files: most relevant first, capped. */
  files: string[];
  filesTruncated: boolean;
  directories: string[];
  truncated: boolean;
  contentBytes: number;
  /** Lowest total score among the selected files (Infinity when none was selected). */
  selectionCutoff: number;
  /** Lowest total score in `files` when it was capped, else -Infinity. */
  listCutoff: number;
  /** Whether fewer files than `maxFiles` were selected (then any new candidate changes the answer). */
  selectionOpen: boolean;
  /** Paths read but left out (binary, secret content, unreadable…): an edit to them matters too. */
  considered: string[];
  /** Files for the code map (cut, dropped or next in rank), best first. */
  mapCandidates: string[];
  redactions: number;
  timings: { decodeMs: number; staticMs: number; rankMs: number; readMs: number; totalMs: number };
}
export type BuildResult = BuildSuccess | WorkerFailure;
