import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { readState } from '../../src/sidecar/state-file.js';
import { startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { rawRequest, startTestServer, type TestServer } from '../helpers/test-server.js';

/** A 201 on PostgreSQL means committed: a node SIGKILLed mid-write loses none of its 201s. */
describe('results on PostgreSQL: a node killed with SIGKILL mid-write', function () {
  this.timeout(120_000);
  let dir: string;
  let pg: PostgresServer;
  let reader: TestServer | undefined;

  before(async () => {
    dir = await makeTempDir('cco-pg-kill-');
    pg = await startPostgresServer({ fsync: true });
  });
  after(async () => {
    await reader?.stop();
    await pg?.destroy();
    await removeDir(dir);
  });

  it('keeps every result it answered 201 for, readable on another node', async () => {
    const url = await pg.createDatabase();
    const project = path.join(dir, 'project');
    const storage = path.join(dir, 'storage');
    await mkdir(project);
    const started = await runCli(
      ['orchestration', 'start', '--detach', '--port', '0', '--project', project, '--project-id', 'web', '--storage-path', storage, '--postgres-url', url],
      {},
      { timeoutMs: 60_000 },
    );
    expect(started.code, started.stderr).to.equal(0);
    const state = (await readState(storage))!;
    const token = (await runCli(['orchestration', 'token', '--agent-type', 'operator', '--admin', '--storage-path', storage, '--json'])).json.token as string;

    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const res = await rawRequest(state.url, 'POST', '/api/results', {
          token,
          body: { agent_id: `w${w}`, agent_type: `type-${w}`, issue_id: `K-${i % 7}`, result: { status: 'success', n: i } },
        }).catch(() => undefined);
        if (!res) return; // the node is gone
        if (res.status === 201) acknowledged.push(res.body.id as string);
      }
    };
    const writers = Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(writer));
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 10));
    process.kill(state.pid, 'SIGKILL');
    stop = true;
    await writers;
    expect(acknowledged.length).to.be.at.least(40);

    // Another node (separate storage, as on another machine) reads every acknowledged result.
    reader = await startTestServer({ config: { project_id: 'web', results: { backend: 'postgres' }, postgres: { url } } });
    const missing: string[] = [];
    for (const id of acknowledged) {
      const res = await reader.request('GET', `/api/results/${id}`, { token: reader.adminToken });
      if (res.status !== 200) missing.push(`${id}: ${res.status}`);
    }
    expect(missing).to.deep.equal([]);
  });
});
