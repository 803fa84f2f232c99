import { expect } from 'chai';
import pg from 'pg';
import { startPostgresServer, type PostgresServer } from './postgres-server.js';

describe('test helper: throwaway PostgreSQL server', function () {
  this.timeout(60_000);
  let server: PostgresServer;
  before(async () => {
    server = await startPostgresServer();
  });
  after(() => server?.destroy());

  it('serves a fresh database on a loopback port with a password, and starts again after a stop', async () => {
    const url = await server.createDatabase();
    expect(url).to.match(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/cco_test_/);
    const ask = async (): Promise<number> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<{ n: number }>('SELECT 41 + 1 AS n')).rows[0]!.n;
      } finally {
        await client.end();
      }
    };
    expect(await ask()).to.equal(42);
    const wrong = new pg.Client({ connectionString: url.replace(server.password, 'wrong') });
    let refused: unknown;
    await wrong.connect().catch((err: unknown) => {
      refused = err;
    });
    expect(String(refused)).to.match(/password authentication failed/);
    await server.stop();
    let down: unknown;
    const c = new pg.Client({ connectionString: url });
    await c.connect().catch((err: unknown) => {
      down = err;
    });
    expect((down as { code?: string }).code).to.equal('ECONNREFUSED');
    await server.start();
    expect(await ask()).to.equal(42);
  });
});
