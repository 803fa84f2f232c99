import pg from 'pg';
import type { ComponentLogger } from '../../logging/component-logger.js';
import { redactUrl, scrubSecret } from '../../util/redact-url.js';
import { migrate, type MigrationReport } from './migrate.js';

export interface PostgresOptions {
  url: string;
  /** Connections of this process (each node has its own pool). */
  poolSize: number;
  /** Bound on getting a connection: a down server is reported within it (spec: 503 within 2 s). */
  connectTimeoutMs: number;
  /** Client-side bound on one query. */
  queryTimeoutMs: number;
  log?: ComponentLogger;
}

export type PostgresHealth = 'ok' | 'down';

/** SQLSTATE classes and driver messages that mean "the server is not there", not "the query is wrong". */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|the database system is (shutting down|starting up)|terminating connection/i;

/** True when `err` says PostgreSQL cannot be reached (as opposed to a bad query or constraint). */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (e.code && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08') || e.code.startsWith('57P'))) return true;
  return UNAVAILABLE_MESSAGE.test(e.message ?? '');
}

function locationOf(raw: string): string {
  try {
    const url = new URL(raw);
    return `postgres://${url.host}${url.pathname}`;
  } catch {
    return 'postgres://';
  }
}

/**
 * One process's connection to PostgreSQL: a `pg` pool (which reconnects by itself: every query
 * takes a connection and a dead one is discarded), the schema migration at open, and a health
 * state that `/health` reads synchronously. The state turns `down` on the first failure that
 * means "unreachable" and back to `ok` on the next success; while down, a probe runs every
 * second so recovery shows in `/health` without waiting for traffic.
 *
 * The URL's credentials never leave this object: `describe` is the redacted form, and errors
 * are scrubbed of the password before they are logged.
 */
export class PostgresDatabase {
  readonly pool: pg.Pool;
  readonly description: string;
  /** `postgres://host:port/database`, no user, password or parameters: where results say they live. */
  readonly location: string;
  private state: PostgresHealth = 'ok';
  private reason: string | undefined;
  private probe: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(private readonly options: PostgresOptions) {
    this.description = redactUrl(options.url);
    this.location = locationOf(options.url);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs,
      query_timeout: options.queryTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'cco-sidecar',
      keepAlive: true,
    });
    // An idle client whose server went away emits here; unhandled, it would crash the process.
    this.pool.on('error', (err) => this.failed(err));
  }

  /** Connect, migrate the schema, and report what the migration did. Fails when unreachable. */
  static async open(options: PostgresOptions): Promise<{ db: PostgresDatabase; migration: MigrationReport }> {
    const db = new PostgresDatabase(options);
    try {
      const migration = await migrate(db.pool);
      options.log?.info({ postgres: db.description, schema_version: migration.version, applied: migration.applied }, 'postgres schema ready');
      return { db, migration };
    } catch (err) {
      await db.pool.end().catch(() => undefined);
      // No `cause`: the driver's error may quote the password; only the scrubbed message travels.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`PostgreSQL at ${db.description} is not usable: ${scrubSecret((err as Error).message, options.url)}`);
    }
  }

  /** Run one statement (autocommit: it is committed when this resolves). */
  async query<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      const result = await this.pool.query<R>(text, params);
      this.succeeded();
      return result;
    } catch (err) {
      this.failed(err);
      throw err;
    }
  }

  /** Run `fn` in one transaction: committed when this resolves, rolled back when it throws. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.failed(err);
      throw err;
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      this.succeeded();
      return out;
    } catch (err) {
      broken = isUnavailable(err);
      if (!broken)
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
      this.failed(err);
      throw err;
    } finally {
      // A connection that failed mid-transaction is destroyed, never reused.
      client.release(broken);
    }
  }

  health(): PostgresHealth {
    return this.closed ? 'down' : this.state;
  }

  /** Why the state is `down` (redacted), for `/health`. */
  healthReason(): string | undefined {
    if (this.closed) return 'closed';
    return this.state === 'down' ? this.reason : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probe) clearInterval(this.probe);
    await this.pool.end().catch(() => undefined);
  }

  private succeeded(): void {
    if (this.state === 'ok') return;
    this.state = 'ok';
    this.reason = undefined;
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
    this.options.log?.info({ postgres: this.description }, 'postgres reachable again');
  }

  private failed(err: unknown): void {
    if (!isUnavailable(err) || this.closed) return;
    const message = scrubSecret((err as Error).message ?? String(err), this.options.url);
    if (this.state === 'down') return;
    this.state = 'down';
    this.reason = `PostgreSQL at ${this.description} unreachable: ${message}`;
    this.options.log?.error({ postgres: this.description, reason: message }, 'postgres unreachable');
    this.probe = setInterval(() => {
      this.query('SELECT 1').catch(() => undefined);
    }, 1_000);
    this.probe.unref();
  }
}
