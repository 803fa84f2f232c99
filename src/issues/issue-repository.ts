import type { IssueRecord, IssueRevision } from './issue-record.js';

/** Same scale as the other components of `/health`. */
export type IssueRepositoryHealth = 'ok' | 'degraded' | 'down';

export interface IssuePageFilter {
  project_id: string;
  /** Only issues carrying this label (exact match). */
  label?: string;
  /** Only issue ids strictly after this one (the cursor). */
  after?: string;
}

export interface IssuePageFound {
  /** Live issues in issue id order (UTF-16 code units). */
  issues: IssueRecord[];
  /** More issues match after the last one returned. */
  more: boolean;
}

/**
 * The storage primitive under the issue registry: the policy (validation, timestamps, revision
 * numbers, retries, events) lives in `IssueRegistry`, a backend implements only this. The file
 * tree implements it (`FileIssueRepository`); a PostgreSQL table implements it next
 * (`UNIQUE (project_id, issue_id, revision)` makes `put` and `delete` compare-and-set).
 *
 * Revisions of one issue are 1, 2, 3, … without gaps; a deletion is a revision that carries
 * `deleted_at`. Every stored revision is kept.
 */
export interface IssueRepository {
  /** The newest revision of the issue, a deletion included; undefined when it never existed. */
  head(projectId: string, issueId: string): Promise<IssueRevision | undefined>;
  /**
   * Store `record` durably as the issue's next revision, only if the newest stored revision is
   * `record.revision - 1` (0: none). false when another write got there first (nothing stored).
   */
  put(record: IssueRecord): Promise<boolean>;
  /**
   * Store a deletion as revision `record.revision` (the record is the deleted text with that
   * revision), under the same condition as `put`. false when another write got there first.
   */
  delete(record: IssueRecord, deletedAt: string): Promise<boolean>;
  /** Up to `limit` live issues after `filter.after`, in issue id order. */
  listPage(filter: IssuePageFilter, limit: number): Promise<IssuePageFound>;
  /** Every stored revision of the issue, oldest first; [] when it never existed. */
  history(projectId: string, issueId: string): Promise<IssueRevision[]>;
  /** Cheap and synchronous: `/health` may call it on every probe. */
  health(): IssueRepositoryHealth;
  /** Wait for pending writes. Idempotent. */
  close(): Promise<void>;
}
