import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { readProcStat } from '../../src/agents/proc-stat.js';
import { readState } from '../../src/sidecar/state-file.js';
import { startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';
import { RedisServer } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { rawRequest } from '../helpers/test-server.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

describe('CLI: start --cluster N', function () {
  this.timeout(120_000);
  let dir: string;
  let project: string;
  let storage: string;
  before(async () => {
    dir = await makeTempDir('cco-cluster-');
    project = path.join(dir, 'project');
    storage = path.join(dir, 'storage');
    await mkdir(project);
  });
  after(() => removeDir(dir));

  it('refuses without Redis and PostgreSQL, naming what is missing', async () => {
    const cli = await runCli(['orchestration', 'start', '--cluster', '2', '--port', '0', '--project', project, '--storage-path', storage]);
    expect(cli.code).to.equal(1);
    const stderr = cli.stderr.replace(/\s*\n\s*›?\s*/g, ' ');
    expect(stderr).to.contain(
      'start --cluster 2 runs 2 sidecars that must share events, results and tokens; configure Redis (--redis-url, CCO_REDIS_URL or redis.url) and PostgreSQL (--postgres-url, CCO_POSTGRES_URL or postgres.url)',
    );
    expect(await readState(storage)).to.equal(undefined);
  });

  describe('on real Redis and PostgreSQL', () => {
    let redis: RedisServer;
    let pg: PostgresServer;
    let pgUrl: string;
    before(async () => {
      redis = await RedisServer.start();
      pg = await startPostgresServer();
      pgUrl = await pg.createDatabase();
    });
    after(async () => {
      await runCli(['orchestration', 'stop', '--storage-path', storage]);
      await redis?.stop();
      await pg?.destroy();
    });

    it('refuses to start on a PostgreSQL it cannot use, with the reason and without the password', async () => {
      const wrong = pgUrl.replace(pg.password, 'not-the-password');
      const cli = await runCli([
        'orchestration',
        'start',
        '--port',
        '0',
        '--project',
        project,
        '--storage-path',
        path.join(dir, 'refused'),
        '--postgres-url',
        wrong,
      ]);
      expect(cli.code).to.equal(1);
      const stderr = cli.stderr.replace(/\s*\n\s*›?\s*/g, ' ');
      expect(stderr).to.match(/PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+ is not usable: password authentication failed/);
      expect(cli.stderr + cli.stdout).not.to.include('not-the-password');
    });

    it('runs N sidecars on one port that share results and the key, and stops them all', async () => {
      const started = await runCli(
        [
          'orchestration',
          'start',
          '--cluster',
          '2',
          '--detach',
          '--port',
          '0',
          '--project',
          project,
          '--storage-path',
          storage,
          '--redis-url',
          redis.url,
          '--postgres-url',
          pgUrl,
          '--project-id',
          'web',
        ],
        {},
        { timeoutMs: 60_000 },
      );
      expect(started.code, started.stderr + started.stdout).to.equal(0);
      const state = (await readState(storage))!;
      expect(state).to.include({ cluster_size: 2, project_id: 'web' });
      // The primary's command line carries no password (the URL went through the environment).
      expect(await readFile(`/proc/${state.pid}/cmdline`, 'utf8')).not.to.include(pg.password);

      // New connections are handed to the workers in turn: both answer, each with its node id.
      const nodes = new Set<string>();
      for (let i = 0; i < 8; i++) nodes.add((await rawRequest(state.url, 'GET', '/health')).body.node_id as string);
      expect([...nodes].sort()).to.deep.equal([`${state.node_id!}-w1`, `${state.node_id!}-w2`]);

      // One token from the CLI works on every worker (one key); a result stored through one is read through all.
      const token = (await runCli(['orchestration', 'token', '--agent-type', 'operator', '--admin', '--storage-path', storage, '--json'])).json.token as string;
      const stored = await rawRequest(state.url, 'POST', '/api/results', {
        token,
        body: { agent_id: 'a1', agent_type: 'python-specialist', issue_id: '7', result: { status: 'success' } },
      });
      expect(stored.status).to.equal(201);
      // Connections alternate between the workers, so consecutive reads go to both.
      for (let i = 0; i < 4; i++) {
        const read = await rawRequest(state.url, 'GET', `/api/results/${stored.body.id as string}`, { token });
        expect(read.status).to.equal(200);
        expect(read.body.id).to.equal(stored.body.id);
      }

      const workerPids: number[] = [];
      for (const n of [1, 2]) {
        const node = (await readState(path.join(storage, 'nodes', String(n))))!;
        workerPids.push(node.pid);
        expect(await readFile(`/proc/${node.pid}/cmdline`, 'utf8')).not.to.include(pg.password);
      }
      const stopped = await runCli(['orchestration', 'stop', '--storage-path', storage], {}, { timeoutMs: 30_000 });
      expect(stopped.code, stopped.stderr).to.equal(0);
      // Exited: gone, or a zombie its new parent has not reaped yet.
      for (const pid of [state.pid, ...workerPids]) expect(readProcStat(pid)?.state ?? 'gone', `pid ${pid}`).to.be.oneOf(['gone', 'Z']);
      expect(await readState(storage)).to.equal(undefined);
      // Nothing the cluster wrote (logs, state, audit) holds the password.
      for (const file of await filesUnder(storage)) expect(await readFile(file, 'utf8'), file).not.to.include(pg.password);
    });
  });
});
