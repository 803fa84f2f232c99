import type { ResultFilter } from './result-repository.js';
import type { ResultStatus } from './result-store.js';

/** What the index keeps per result: enough to filter and locate it, never the payload. */
export interface IndexEntry {
  id: string;
  project_id: string;
  issue_id: string;
  agent_type: string;
  agent_id: string;
  status: ResultStatus;
  /** The envelope's `timestamp`, in ms, for `since`/`until`. */
  timestamp_ms: number;
  /** Absolute path of the file that holds the envelope now. */
  file: string;
  size: number;
}

/** The index answers the repository's filter as it is. */
export type IndexFilter = ResultFilter;

export function pairKey(projectId: string, issueId: string, agentType: string): string {
  // Safe ids cannot contain '/', so the key is unambiguous.
  return `${projectId}/${issueId}/${agentType}`;
}

function issueKey(projectId: string, issueId: string): string {
  return `${projectId}/${issueId}`;
}

/** Index of the first element >= id in an ascending array. */
function lowerBound(sorted: string[], id: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: string[], id: string): void {
  // Ids are generated in increasing order, so this is an append except during a rebuild.
  const last = sorted[sorted.length - 1];
  if (last === undefined || last < id) sorted.push(id);
  else sorted.splice(lowerBound(sorted, id), 0, id);
}

function removeSorted(sorted: string[], id: string): void {
  const i = lowerBound(sorted, id);
  if (sorted[i] === id) sorted.splice(i, 1);
}

/**
 * In-memory index of stored results: ids kept sorted (ULIDs sort by store time) globally, per
 * issue and per (project, issue, agent type) pair, so queries and `get` never touch the tree
 * and newest-first paging by id is stable while results are added or expire.
 */
export class ResultIndex {
  private readonly entries = new Map<string, IndexEntry>();
  private readonly all: string[] = [];
  private readonly byIssue = new Map<string, string[]>();
  private readonly byPair = new Map<string, string[]>();
  /** Which id sits in each pair's `<agent_type>.json` right now. */
  private readonly latestFile = new Map<string, string>();
  private bytes = 0;

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(id: string): IndexEntry | undefined {
    return this.entries.get(id);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  add(entry: IndexEntry): void {
    if (this.entries.has(entry.id)) this.remove(entry.id);
    this.entries.set(entry.id, entry);
    this.bytes += entry.size;
    insertSorted(this.all, entry.id);
    insertSorted(this.listFor(this.byIssue, issueKey(entry.project_id, entry.issue_id)), entry.id);
    insertSorted(this.listFor(this.byPair, pairKey(entry.project_id, entry.issue_id, entry.agent_type)), entry.id);
  }

  remove(id: string): IndexEntry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.bytes -= entry.size;
    removeSorted(this.all, id);
    const ik = issueKey(entry.project_id, entry.issue_id);
    const pk = pairKey(entry.project_id, entry.issue_id, entry.agent_type);
    this.shrink(this.byIssue, ik, id);
    this.shrink(this.byPair, pk, id);
    if (this.latestFile.get(pk) === id) this.latestFile.delete(pk);
    return entry;
  }

  /** Record that a result's file moved (latest → history). */
  relocate(id: string, file: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.file = file;
  }

  latestFileId(pair: string): string | undefined {
    return this.latestFile.get(pair);
  }

  setLatestFile(pair: string, id: string | undefined): void {
    if (id === undefined) this.latestFile.delete(pair);
    else this.latestFile.set(pair, id);
  }

  /** Ids stored before `cutoffId` (exclusive), oldest first. */
  idsBefore(cutoffId: string): string[] {
    return this.all.slice(0, lowerBound(this.all, cutoffId));
  }

  greatestId(): string | undefined {
    return this.all[this.all.length - 1];
  }

  /** Newest result id of each agent type on the issue. */
  latestOfIssue(projectId: string, issueId: string): string[] {
    const prefix = `${projectId}/${issueId}/`;
    const out: string[] = [];
    for (const [key, ids] of this.byPair) {
      const newest = ids[ids.length - 1];
      if (key.startsWith(prefix) && newest !== undefined) out.push(newest);
    }
    return out;
  }

  /**
   * Up to `limit` matching ids, newest first, and whether more match after them.
   * Walks the narrowest sorted list the filter allows.
   */
  query(filter: IndexFilter, limit: number): { ids: string[]; more: boolean } {
    let source: string[];
    if (filter.project_id !== undefined && filter.issue_id !== undefined && filter.agent_type !== undefined) {
      source = this.byPair.get(pairKey(filter.project_id, filter.issue_id, filter.agent_type)) ?? [];
    } else if (filter.project_id !== undefined && filter.issue_id !== undefined) {
      source = this.byIssue.get(issueKey(filter.project_id, filter.issue_id)) ?? [];
    } else {
      source = this.all;
    }
    const start = filter.before_id === undefined ? source.length : lowerBound(source, filter.before_id);
    const ids: string[] = [];
    for (let i = start - 1; i >= 0; i--) {
      const id = source[i] as string;
      const e = this.entries.get(id) as IndexEntry;
      if (!this.matches(e, filter)) continue;
      if (ids.length === limit) return { ids, more: true };
      ids.push(id);
    }
    return { ids, more: false };
  }

  private matches(e: IndexEntry, f: IndexFilter): boolean {
    if (f.project_id !== undefined && e.project_id !== f.project_id) return false;
    if (f.issue_id !== undefined && e.issue_id !== f.issue_id) return false;
    if (f.agent_type !== undefined && e.agent_type !== f.agent_type) return false;
    if (f.status !== undefined && e.status !== f.status) return false;
    if (f.since_ms !== undefined && e.timestamp_ms < f.since_ms) return false;
    if (f.until_ms !== undefined && e.timestamp_ms >= f.until_ms) return false;
    if (f.latest) {
      const ids = this.byPair.get(pairKey(e.project_id, e.issue_id, e.agent_type));
      if (!ids || ids[ids.length - 1] !== e.id) return false;
    }
    return true;
  }

  private listFor(map: Map<string, string[]>, key: string): string[] {
    let list = map.get(key);
    if (!list) {
      list = [];
      map.set(key, list);
    }
    return list;
  }

  private shrink(map: Map<string, string[]>, key: string, id: string): void {
    const list = map.get(key);
    if (!list) return;
    removeSorted(list, id);
    if (list.length === 0) map.delete(key);
  }
}
