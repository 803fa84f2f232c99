import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations.js';

/** Any fixed 64-bit number, the same on every node: the key of the migration advisory lock. */
const MIGRATION_LOCK_KEY = '7262671305384511801';

export class SchemaTooNewError extends Error {}

export interface MigrationReport {
  /** Versions applied by this call (empty when the schema was current). */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}

/**
 * Bring the database to the newest schema. Idempotent, and safe when several nodes start at once:
 * the first takes a transaction-scoped advisory lock and applies what is missing; the others wait
 * on the lock and then find nothing to do. All of it is one transaction (PostgreSQL DDL is
 * transactional), so a failed migration leaves the previous schema intact.
 *
 * Refuses a database migrated by a newer sidecar (a downgrade would run against a schema it does
 * not know).
 *
 * @example await migrate(pool) // { applied: [1], version: 1 }
 */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS cco_schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM cco_schema_migrations');
    const have = new Set(rows.map((r) => r.version));
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const newest = Math.max(0, ...have);
    if (newest > known) {
      throw new SchemaTooNewError(
        `The PostgreSQL schema is at version ${newest}, newer than this sidecar knows (${known}): upgrade the sidecar, or restore a backup taken before the upgrade`,
      );
    }
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (have.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO cco_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return { applied, version: Math.max(newest, ...applied) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
