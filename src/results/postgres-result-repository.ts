import { StorageWriteError, type AppError } from '../errors/index.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import type { PostgresDatabase } from '../storage/postgres/postgres-database.js';
import { postgresStorageError } from '../storage/postgres/storage-error.js';
import type { StoredEnvelope } from './envelope-schema.js';
import { KeyedQueue } from './keyed-queue.js';
import { pairKey } from './result-index.js';
import { RESULT_ID_PATTERN, resultIdFloor } from './result-id.js';
import type { FoundResults, ResultFilter, ResultRepository } from './result-repository.js';
import type { ResultEnvelope, ResultStoreHealth, ResultStoreStats } from './result-store.js';

export interface PostgresResultRepositoryOptions {
  db: PostgresDatabase;
  /** How often the cluster-wide count and size are re-read for `/status` (default 10 s). */
  statsRefreshMs?: number;
  log?: ComponentLogger;
}

const INSERT_SQL = `
  WITH r AS (
    INSERT INTO cco_results (id, project_id, issue_id, agent_type, agent_id, status, timestamp_ms, size_bytes, envelope)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    RETURNING id, project_id, issue_id, agent_type
  )
  INSERT INTO cco_results_latest (project_id, issue_id, agent_type, id)
  SELECT project_id, issue_id, agent_type, id FROM r
  ON CONFLICT (project_id, issue_id, agent_type)
  DO UPDATE SET id = EXCLUDED.id WHERE cco_results_latest.id < EXCLUDED.id`;

interface EnvelopeRow {
  id: string;
  envelope: StoredEnvelope;
}

/**
 * The PostgreSQL `ResultRepository`: one row per result (history is the older rows of a pair),
 * the newest of each pair in `cco_results_latest`, written by the same statement. Each insert is
 * one autocommit statement, so it resolves only once PostgreSQL has committed it: the 201 that
 * follows means committed (and, with the server's default `synchronous_commit`, flushed to its WAL).
 *
 * Several sidecars share the tables: every read goes to the database, so a result stored on one
 * node is read on every other at once. `newestId` and `stats` are this node's view (the first
 * seeds id minting; the second is refreshed from the table every few seconds).
 */
export class PostgresResultRepository implements ResultRepository {
  private readonly queue = new KeyedQueue();
  private newest: string | undefined;
  private count = 0;
  private bytes = 0;
  private expiredRemoved = 0;
  private closed = false;
  private refresh: NodeJS.Timeout | undefined;

  private constructor(private readonly options: PostgresResultRepositoryOptions) {}

  /** Read the newest id and the totals (the schema is migrated by `PostgresDatabase.open`). */
  static async open(options: PostgresResultRepositoryOptions): Promise<PostgresResultRepository> {
    const repo = new PostgresResultRepository(options);
    const { rows } = await options.db.query<{ newest: string | null }>('SELECT max(id) AS newest FROM cco_results');
    repo.newest = rows[0]?.newest ?? undefined;
    await repo.refreshStats();
    repo.refresh = setInterval(() => {
      repo.refreshStats().catch(() => undefined);
    }, options.statsRefreshMs ?? 10_000);
    repo.refresh.unref();
    return repo;
  }

  newestId(): string | undefined {
    return this.newest;
  }

  insert(envelope: StoredEnvelope): Promise<ResultEnvelope> {
    if (this.closed) return Promise.reject(new StorageWriteError('Result store is closed'));
    // Inserts of one pair leave this process in call order (the contract's "latest" guarantee).
    return this.queue.run(pairKey(envelope.project_id, envelope.issue_id, envelope.agent_type), async () => {
      const json = JSON.stringify(envelope);
      const size = Buffer.byteLength(json);
      try {
        await this.options.db.query(INSERT_SQL, [
          envelope.id,
          envelope.project_id,
          envelope.issue_id,
          envelope.agent_type,
          envelope.agent_id,
          envelope.result.status,
          Date.parse(envelope.timestamp),
          size,
          json,
        ]);
      } catch (err) {
        throw this.error(err, 'write');
      }
      if (this.newest === undefined || envelope.id > this.newest) this.newest = envelope.id;
      this.count++;
      this.bytes += size;
      return this.withPath(envelope);
    });
  }

  async get(id: string): Promise<ResultEnvelope | undefined> {
    if (typeof id !== 'string' || !RESULT_ID_PATTERN.test(id)) return undefined;
    const rows = await this.read<EnvelopeRow>('SELECT id, envelope FROM cco_results WHERE id = $1', [id]);
    return rows[0] ? this.withPath(rows[0].envelope) : undefined;
  }

  async find(filter: ResultFilter, limit: number): Promise<FoundResults> {
    const where: string[] = [];
    const params: unknown[] = [];
    const eq = (column: string, value: unknown): void => {
      if (value === undefined) return;
      params.push(value);
      where.push(`r.${column} = $${params.length}`);
    };
    eq('project_id', filter.project_id);
    eq('issue_id', filter.issue_id);
    eq('agent_type', filter.agent_type);
    eq('status', filter.status);
    if (filter.since_ms !== undefined) {
      params.push(filter.since_ms);
      where.push(`r.timestamp_ms >= $${params.length}`);
    }
    if (filter.until_ms !== undefined) {
      params.push(filter.until_ms);
      where.push(`r.timestamp_ms < $${params.length}`);
    }
    if (filter.before_id !== undefined) {
      params.push(filter.before_id);
      where.push(`r.id < $${params.length}`);
    }
    params.push(limit + 1);
    const join = filter.latest ? ' JOIN cco_results_latest l ON l.id = r.id' : '';
    const sql = `SELECT r.id, r.envelope FROM cco_results r${join}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY r.id DESC LIMIT $${params.length}`;
    const rows = await this.read<EnvelopeRow>(sql, params);
    const page = rows.slice(0, limit);
    return { results: page.map((r) => this.withPath(r.envelope)), more: rows.length > limit, lastId: page[page.length - 1]?.id };
  }

  async latestOfIssue(projectId: string, issueId: string): Promise<ResultEnvelope[]> {
    const rows = await this.read<EnvelopeRow>(
      `SELECT r.id, r.envelope FROM cco_results_latest l JOIN cco_results r ON r.id = l.id
       WHERE l.project_id = $1 AND l.issue_id = $2`,
      [projectId, issueId],
    );
    return rows.map((r) => this.withPath(r.envelope));
  }

  async deleteStoredBefore(cutoffMs: number): Promise<number> {
    const floor = resultIdFloor(cutoffMs);
    let removed: { n: number; bytes: number };
    try {
      // Every node sweeps; the deletes are idempotent, so the only cost of a race is a 0 count.
      removed = await this.options.db.transaction(async (client) => {
        const { rows } = await client.query<{ n: string; bytes: string | null }>(
          'WITH d AS (DELETE FROM cco_results WHERE id < $1 RETURNING size_bytes) SELECT count(*) AS n, sum(size_bytes) AS bytes FROM d',
          [floor],
        );
        // The latest of a pair is its greatest id: when it is below the floor, the whole pair is.
        await client.query('DELETE FROM cco_results_latest WHERE id < $1', [floor]);
        return { n: Number(rows[0]?.n ?? 0), bytes: Number(rows[0]?.bytes ?? 0) };
      });
    } catch (err) {
      throw this.error(err, 'write');
    }
    this.expiredRemoved += removed.n;
    this.count = Math.max(0, this.count - removed.n);
    this.bytes = Math.max(0, this.bytes - removed.bytes);
    return removed.n;
  }

  stats(): ResultStoreStats {
    return {
      results_stored: this.count,
      total_size_bytes: this.bytes,
      total_size_mb: Math.round((this.bytes / 1_048_576) * 1000) / 1000,
      quarantined: 0,
      expired_removed: this.expiredRemoved,
    };
  }

  health(): ResultStoreHealth {
    return this.closed ? 'down' : this.options.db.health();
  }

  /** Why the repository is down, for `/health`. */
  healthReason(): string | undefined {
    return this.closed ? 'closed' : this.options.db.healthReason();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.refresh) clearInterval(this.refresh);
    await this.queue.drain();
  }

  private async refreshStats(): Promise<void> {
    const { rows } = await this.options.db.query<{ n: string; bytes: string | null }>('SELECT count(*) AS n, sum(size_bytes) AS bytes FROM cco_results');
    this.count = Number(rows[0]?.n ?? 0);
    this.bytes = Number(rows[0]?.bytes ?? 0);
  }

  private async read<R extends EnvelopeRow>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.options.db.query<R>(sql, params)).rows;
    } catch (err) {
      throw this.error(err, 'read');
    }
  }

  private error(err: unknown, op: 'read' | 'write'): AppError {
    return postgresStorageError(err, 'Result', op, this.options.log);
  }

  private withPath(envelope: StoredEnvelope): ResultEnvelope {
    return { ...envelope, storage_path: `${this.options.db.location}/cco_results/${envelope.id}` };
  }
}
