import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('cluster signing key and node ids', function () {
  this.timeout(60_000);
  let dir: string;
  let keyFile: string;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    dir = await makeTempDir('cco-key-');
    keyFile = path.join(dir, 'cluster.key');
    await writeFile(keyFile, randomBytes(48).toString('base64url'), { mode: 0o600 });
    a = await startTestServer({ config: { project_id: 'web', jwt_secret_file: keyFile, node_id: 'node-a' } });
    b = await startTestServer({ config: { project_id: 'web', jwt_secret_file: keyFile } });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await removeDir(dir);
  });

  it('signs with the shared key file: a token from the CLI of one node is valid on the other', async () => {
    const cli = await runCli(['orchestration', 'token', '--agent-type', 'test-engineer', '--storage-path', a.storage, '--json']);
    expect(cli.code, cli.stderr).to.equal(0);
    const res = await b.request('GET', '/api/results?issue_id=1', { token: cli.json.token });
    expect(res.status).to.equal(200);
    // Through the environment too, with no running sidecar recorded in that storage dir.
    const bare = await runCli(['orchestration', 'token', '--agent-type', 'test-engineer', '--project-id', 'web', '--json'], {
      CCO_SIDECAR_STORAGE: path.join(dir, 'no-sidecar'),
      CCO_SIDECAR_JWT_SECRET_FILE: keyFile,
    });
    expect(bare.code, bare.stderr).to.equal(0);
    expect((await a.request('GET', '/api/results?issue_id=1', { token: bare.json.token })).status).to.equal(200);
    // A token signed with another node's own key is refused.
    const lone = await startTestServer({ config: { project_id: 'web' } });
    try {
      const foreign = await lone.tokenFor({ agent_type: 'test-engineer' });
      expect((await a.request('GET', '/api/results?issue_id=1', { token: foreign })).status).to.equal(401);
    } finally {
      await lone.stop();
    }
  });

  it('names each node in /health and /status (given, or unique by default)', async () => {
    const healthA = await a.request('GET', '/health');
    const healthB = await b.request('GET', '/health');
    expect(healthA.body.node_id).to.equal('node-a');
    expect(healthB.body.node_id).to.match(/^[A-Za-z0-9._-]+-\d+-[0-9a-f]{6}$/);
    const status = await b.request('GET', '/status', { token: b.adminToken });
    expect(status.body.node_id).to.equal(healthB.body.node_id);
    expect(status.body.storage.results_backend).to.equal('files');
  });

  it('refuses to start when the shared key file is missing, saying how to make it', async () => {
    const cli = await runCli(['orchestration', 'start', '--port', '0', '--project', dir, '--storage-path', path.join(dir, 'store')], {
      CCO_SIDECAR_JWT_SECRET_FILE: path.join(dir, 'missing.key'),
    });
    expect(cli.code).to.equal(1);
    // oclif wraps long messages over lines prefixed with '›'.
    const stderr = cli.stderr.replace(/\s*\n\s*›?\s*/g, ' ');
    expect(stderr).to.contain(`The signing key file ${path.join(dir, 'missing.key')} does not exist`);
  });
});
