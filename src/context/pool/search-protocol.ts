import type { PathRulesOptions } from '../files/path-rules.js';
import type { Definition } from '../worker/search/definitions.js';
import type { SearchHit, SearchQuery } from '../worker/search/search-index.js';
import type { SnapshotBuffers, WorkerFailure } from './worker-protocol.js';

/**
 * Messages to the search worker (one thread, which holds the code search index). Tasks run in
 * the order they are sent, so an update sent before a search is always visible to it.
 */

interface IndexBase {
  realRoot: string;
  rules: PathRulesOptions;
  /** Files larger than this are not indexed (as they are not read whole for contexts). */
  maxFileBytes: number;
}

/** Index one slice `[from, from + count)` of a scanned snapshot (the initial build, in batches). */
export interface IndexSliceTask extends IndexBase {
  op: 'slice';
  snapshot: SnapshotBuffers;
  from: number;
  count: number;
}

/** Re-read these files (added or changed) and forget those (deleted). */
export interface IndexUpdateTask extends IndexBase {
  op: 'update';
  paths: string[];
  removed: string[];
}

export interface SearchTask {
  op: 'search';
  realRoot: string;
  query: SearchQuery;
  limit: number;
  /** Also return the definitions of these files (for the code map). */
  definitionsOf?: string[];
}

export interface SearchStatsTask {
  op: 'stats';
  realRoot: string;
}

export type SearchWorkerTask = IndexSliceTask | IndexUpdateTask | SearchTask | SearchStatsTask;

export interface IndexSuccess {
  ok: true;
  indexed: number;
  skipped: number;
  removed: number;
  docs: number;
  ms: number;
}

export interface SearchSuccess {
  ok: true;
  hits: SearchHit[];
  docs: number;
  definitions: Record<string, Definition[]>;
  ms: number;
}

export interface SearchStats {
  ok: true;
  docs: number;
  terms: number;
  /** V8 heap in use by the search thread (the index is most of it). */
  heapUsedBytes: number;
}

export type SearchWorkerResult = IndexSuccess | SearchSuccess | SearchStats | WorkerFailure;
