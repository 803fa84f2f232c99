import { expect } from 'chai';
import pg from 'pg';
import { PostgresResultRepository } from '../../src/results/postgres-result-repository.js';
import type { ResultRepository } from '../../src/results/result-repository.js';
import { migrate, SchemaTooNewError } from '../../src/storage/postgres/migrate.js';
import { MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import { PostgresDatabase } from '../../src/storage/postgres/postgres-database.js';
import { resultRepositoryContract, envelope } from '../contract/result-repository.contract.js';
import { startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';

let server: PostgresServer | undefined;
const dbs: PostgresDatabase[] = [];
const urlOf = new Map<ResultRepository, string>();

async function pgServer(): Promise<PostgresServer> {
  server ??= await startPostgresServer();
  return server;
}

async function openDb(url: string): Promise<PostgresDatabase> {
  const { db } = await PostgresDatabase.open({ url, poolSize: 4, connectTimeoutMs: 1_500, queryTimeoutMs: 10_000 });
  dbs.push(db);
  return db;
}

async function openAt(url: string): Promise<ResultRepository> {
  const repo = await PostgresResultRepository.open({ db: await openDb(url) });
  urlOf.set(repo, url);
  return repo;
}

resultRepositoryContract('PostgreSQL', {
  async open() {
    return openAt(await (await pgServer()).createDatabase());
  },
  reopen: (repo) => openAt(urlOf.get(repo)!),
  async cleanup() {
    for (const db of dbs.splice(0)) await db.close();
  },
});

// Root-level: runs once after every suite of this file, whichever of them ran.
after(async () => {
  for (const db of dbs.splice(0)) await db.close();
  await server?.destroy();
  server = undefined;
});

describe('PostgreSQL result schema and repository', function () {
  this.timeout(60_000);

  it('migrates once when several nodes start at the same time, and again is a no-op', async () => {
    const url = await (await pgServer()).createDatabase();
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: url, max: 2 }));
    try {
      const reports = await Promise.all(pools.map((p) => migrate(p)));
      expect(reports.map((r) => r.applied.length).sort()).to.deep.equal([0, 0, 0, MIGRATIONS.length]);
      expect(reports.every((r) => r.version === MIGRATIONS.length)).to.equal(true);
      expect(await migrate(pools[0]!)).to.deep.equal({ applied: [], version: MIGRATIONS.length });
      const { rows } = await pools[0]!.query<{ n: string }>('SELECT count(*) AS n FROM cco_schema_migrations');
      expect(Number(rows[0]!.n)).to.equal(MIGRATIONS.length);
    } finally {
      for (const p of pools) await p.end();
    }
  });

  it('refuses a schema written by a newer sidecar', async () => {
    const url = await (await pgServer()).createDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await migrate(pool, [...MIGRATIONS, { version: 99, name: 'future', sql: 'SELECT 1' }]);
      let err: unknown;
      await migrate(pool).catch((e: unknown) => {
        err = e;
      });
      expect(err).to.be.instanceOf(SchemaTooNewError);
      expect((err as Error).message).to.include(`version 99, newer than this sidecar knows (${MIGRATIONS.length})`);
    } finally {
      await pool.end();
    }
  });

  it('answers every filter from an index (no sequential scan of the results)', async () => {
    const url = await (await pgServer()).createDatabase();
    const repo = await openAt(url);
    for (let i = 0; i < 50; i++) await repo.insert(envelope({ issue_id: `i${i % 5}`, agent_type: `t${i % 3}` }));
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await pool.query('ANALYZE');
      const client = await pool.connect();
      try {
        // A tiny table is scanned sequentially by choice; forbid it to see that an index exists.
        await client.query('SET enable_seqscan = off');
        const plans: string[] = [];
        const filters: Array<[string, string[]]> = [
          ['project_id = $1', ['web']],
          ['project_id = $1 AND issue_id = $2', ['web', 'i1']],
          ['project_id = $1 AND issue_id = $2 AND agent_type = $3', ['web', 'i1', 't1']],
          ['project_id = $1 AND agent_type = $2', ['web', 't1']],
          ['project_id = $1 AND status = $2', ['web', 'success']],
          ['project_id = $1 AND timestamp_ms >= $2', ['web', '0']],
        ];
        for (const [where, params] of filters) {
          const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT id FROM cco_results WHERE ${where} ORDER BY id DESC LIMIT 51`, params);
          plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
        }
        for (const plan of plans)
          expect(plan)
            .to.match(/Index/)
            .and.not.match(/Seq Scan/);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
      await repo.close();
    }
  });
});
