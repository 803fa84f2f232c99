import type pg from 'pg';
import { StorageWriteError, type AppError } from '../errors/index.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import type { PostgresDatabase } from '../storage/postgres/postgres-database.js';
import { postgresStorageError } from '../storage/postgres/storage-error.js';
import type { IssueRecord, IssueRevision } from './issue-record.js';
import type { IssuePageFilter, IssuePageFound, IssueRepository, IssueRepositoryHealth } from './issue-repository.js';

export interface PostgresIssueRepositoryOptions {
  db: PostgresDatabase;
  log?: ComponentLogger;
}

interface HeadRow {
  record: IssueRecord;
  deleted_at: string | null;
}

/**
 * The PostgreSQL `IssueRepository`: every revision is a row of `cco_issue_revisions`, the head of
 * each issue a row of `cco_issues`. A write is one transaction: it moves the head from revision
 * n - 1 to n (an `UPDATE … WHERE revision = n - 1`, or an `INSERT … ON CONFLICT DO NOTHING` for
 * revision 1) and inserts the revision row; when the head moved meanwhile no row matches and the
 * write stores nothing (the registry re-reads and retries). Concurrent writers of one issue on
 * any node serialise on the head row's lock, so exactly one wins each revision. A 200/201 means
 * committed.
 */
export class PostgresIssueRepository implements IssueRepository {
  private closed = false;

  constructor(private readonly options: PostgresIssueRepositoryOptions) {}

  async head(projectId: string, issueId: string): Promise<IssueRevision | undefined> {
    const rows = await this.read<HeadRow>('SELECT record, deleted_at FROM cco_issues WHERE project_id = $1 AND issue_id = $2', [projectId, issueId]);
    return rows[0] ? { record: rows[0].record, deleted_at: rows[0].deleted_at } : undefined;
  }

  put(record: IssueRecord): Promise<boolean> {
    return this.write(record, null);
  }

  delete(record: IssueRecord, deletedAt: string): Promise<boolean> {
    return this.write(record, deletedAt);
  }

  async listPage(filter: IssuePageFilter, limit: number): Promise<IssuePageFound> {
    const params: unknown[] = [filter.project_id];
    let where = 'project_id = $1 AND deleted_at IS NULL';
    if (filter.label !== undefined) {
      params.push([filter.label]);
      where += ` AND labels @> $${params.length}::text[]`;
    }
    if (filter.after !== undefined) {
      params.push(filter.after);
      where += ` AND issue_id > $${params.length}`;
    }
    params.push(limit + 1);
    const rows = await this.read<{ record: IssueRecord }>(`SELECT record FROM cco_issues WHERE ${where} ORDER BY issue_id LIMIT $${params.length}`, params);
    return { issues: rows.slice(0, limit).map((r) => r.record), more: rows.length > limit };
  }

  async history(projectId: string, issueId: string): Promise<IssueRevision[]> {
    const rows = await this.read<HeadRow>('SELECT record, deleted_at FROM cco_issue_revisions WHERE project_id = $1 AND issue_id = $2 ORDER BY revision', [
      projectId,
      issueId,
    ]);
    return rows.map((r) => ({ record: r.record, deleted_at: r.deleted_at }));
  }

  health(): IssueRepositoryHealth {
    return this.closed ? 'down' : this.options.db.health();
  }

  close(): Promise<void> {
    // Every write is one awaited transaction: nothing is pending here. The pool is closed by its owner.
    this.closed = true;
    return Promise.resolve();
  }

  private async write(record: IssueRecord, deletedAt: string | null): Promise<boolean> {
    if (this.closed) throw new StorageWriteError('Issue registry is closed');
    const json = JSON.stringify(record);
    try {
      return await this.options.db.transaction(async (client: pg.PoolClient) => {
        const moved =
          record.revision === 1
            ? await client.query(
                `INSERT INTO cco_issues (project_id, issue_id, revision, record, deleted_at, labels) VALUES ($1, $2, 1, $3, $4, $5)
             ON CONFLICT (project_id, issue_id) DO NOTHING`,
                [record.project_id, record.issue_id, json, deletedAt, record.labels],
              )
            : await client.query(
                `UPDATE cco_issues SET revision = $3, record = $4, deleted_at = $5, labels = $6
             WHERE project_id = $1 AND issue_id = $2 AND revision = $3 - 1`,
                [record.project_id, record.issue_id, record.revision, json, deletedAt, record.labels],
              );
        if (moved.rowCount !== 1) return false;
        await client.query('INSERT INTO cco_issue_revisions (project_id, issue_id, revision, record, deleted_at) VALUES ($1, $2, $3, $4, $5)', [
          record.project_id,
          record.issue_id,
          record.revision,
          json,
          deletedAt,
        ]);
        return true;
      });
    } catch (err) {
      throw this.error(err, 'write');
    }
  }

  private async read<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.options.db.query<R>(sql, params)).rows;
    } catch (err) {
      throw this.error(err, 'read');
    }
  }

  private error(err: unknown, op: 'read' | 'write'): AppError {
    return postgresStorageError(err, 'Issue', op, this.options.log);
  }
}
