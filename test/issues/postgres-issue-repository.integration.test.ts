import { expect } from 'chai';
import pg from 'pg';
import { PostgresIssueRepository } from '../../src/issues/postgres-issue-repository.js';
import type { IssueRepository } from '../../src/issues/issue-repository.js';
import { PostgresDatabase } from '../../src/storage/postgres/postgres-database.js';
import { issue, issueRepositoryContract } from '../contract/issue-repository.contract.js';
import { startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';

let server: PostgresServer | undefined;
const dbs: PostgresDatabase[] = [];
const urlOf = new WeakMap<IssueRepository, string>();

async function openAt(url: string): Promise<IssueRepository> {
  const { db } = await PostgresDatabase.open({ url, poolSize: 4, connectTimeoutMs: 1_500, queryTimeoutMs: 10_000 });
  dbs.push(db);
  const repo = new PostgresIssueRepository({ db });
  urlOf.set(repo, url);
  return repo;
}

after(async () => {
  for (const db of dbs.splice(0)) await db.close();
  await server?.destroy();
  server = undefined;
});

issueRepositoryContract('PostgreSQL', {
  async open() {
    server ??= await startPostgresServer();
    return openAt(await server.createDatabase());
  },
  async reopen(repo) {
    await repo.close();
    return openAt(urlOf.get(repo)!);
  },
  async cleanup() {
    for (const db of dbs.splice(0)) await db.close();
  },
});

describe('PostgresIssueRepository across nodes', function () {
  this.timeout(60_000);

  it('lets exactly one of two nodes write each revision, and both read the winner', async () => {
    server ??= await startPostgresServer();
    const url = await server.createDatabase();
    const [a, b] = [await openAt(url), await openAt(url)];
    expect(await a.put(issue())).to.equal(true);
    const race = await Promise.all([
      ...[1, 2, 3].map((n) => a.put(issue({ revision: 2, title: `from a ${n}` }))),
      ...[1, 2, 3].map((n) => b.put(issue({ revision: 2, title: `from b ${n}` }))),
    ]);
    expect(race.filter(Boolean)).to.have.length(1);
    const onA = await a.head('web', 'ISSUE-1');
    expect(await b.head('web', 'ISSUE-1')).to.deep.equal(onA);
    expect((await b.history('web', 'ISSUE-1')).map((h) => h.record.revision)).to.deep.equal([1, 2]);
    // Only the head table carries the label index that GET /api/issues?label= uses.
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM cco_issue_revisions');
      expect(Number(rows[0]!.n)).to.equal(2);
    } finally {
      await pool.end();
    }
  });
});
