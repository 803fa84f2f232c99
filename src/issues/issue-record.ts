/**
 * One issue as the registry stores and serves it (spec §6). Shared by the registry (src/issues),
 * the context engine (ranking by the issue's text) and the wire contract.
 */
export interface IssueRecord {
  issue_id: string;
  project_id: string;
  /** 1..300 characters. */
  title: string;
  /** At most 64 KiB; '' when none was given. */
  description: string;
  labels: string[];
  /** Paths or globs the issue names, relative to the project root. */
  files: string[];
  /** Free-text acceptance criteria, or null. */
  acceptance: string | null;
  created_at: string;
  updated_at: string;
  /**
   * 1 on creation, +1 on every update; part of the context cache key. A deletion is a revision
   * too, and an issue created again after a delete continues the count, so one (issue, revision)
   * never names two different texts.
   */
  revision: number;
}

/** How the context engine reads the issue it builds a context for (null: no such issue). */
export type IssueLookup = (projectId: string, issueId: string) => Promise<IssueRecord | null>;

/** One stored revision of an issue: the record, and when it was deleted if this revision is a deletion. */
export interface IssueRevision {
  record: IssueRecord;
  /** Set on the revision that deleted the issue (its record is the text that was deleted). */
  deleted_at: string | null;
}
