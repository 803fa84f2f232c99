import { expect } from 'chai';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { isProcessAlive } from '../../src/sidecar/state-file.js';
import { readProcStat } from '../../src/agents/proc-stat.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('CLI: start --detach, status, token, stop', () => {
  let dir: string;
  let env: Record<string, string>;
  let project: string;

  before(async () => {
    dir = await makeTempDir();
    project = path.join(dir, 'my-project');
    await mkdir(project);
    await writeFile(path.join(project, 'package.json'), '{"name":"x"}');
    env = { CCO_SIDECAR_STORAGE: path.join(dir, 'storage'), CCO_SIDECAR_PORT: String(await freePort()) };
  });
  after(async () => {
    await runCli(['orchestration', 'stop', '--force'], env);
    await removeDir(dir);
  });

  it('reports "not running" with exit 3 before start', async () => {
    const res = await runCli(['orchestration', 'status', '--json'], env);
    expect(res.code).to.equal(3);
    expect(res.json).to.deep.include({ running: false });
  });

  it('starts in the background and returns once /health answers', async () => {
    const res = await runCli(['orchestration', 'start', '--detach', '--json'], env, { cwd: project });
    expect(res.code, res.stderr).to.equal(0);
    expect(res.json.project_id).to.equal('my-project');
    expect(res.json.project_root).to.equal(project);
    expect(res.json.url).to.equal(`http://127.0.0.1:${env.CCO_SIDECAR_PORT}`);
    expect(isProcessAlive(res.json.pid)).to.equal(true);
    const pidFile = await readFile(path.join(env.CCO_SIDECAR_STORAGE!, 'sidecar.pid'), 'utf8');
    // First line: the pid (scripts keep working); second: its start time and boot id.
    expect(pidFile.split('\n')[0]).to.equal(String(res.json.pid));
    expect(pidFile.split('\n')[1]).to.match(/^\d+ \S+$/);
    expect((await stat(path.join(env.CCO_SIDECAR_STORAGE!, 'sidecar.pid'))).mode & 0o777).to.equal(0o600);
  });

  it('refuses a second sidecar on the same storage dir', async () => {
    const res = await runCli(['orchestration', 'start', '--port', '0'], env, { cwd: project });
    expect(res.code).to.equal(1);
    expect(res.stderr).to.contain('already using the storage dir');
  });

  it('reports a busy port clearly', async () => {
    const other = { ...env, CCO_SIDECAR_STORAGE: path.join(dir, 'storage2') };
    const res = await runCli(['orchestration', 'start'], other, { cwd: project });
    expect(res.code).to.equal(1);
    expect(res.stderr).to.contain(`Port ${env.CCO_SIDECAR_PORT} on 127.0.0.1 is already in use`);
  });

  it('shows status with the /status counts', async () => {
    const res = await runCli(['orchestration', 'status', '--json'], env);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.json.running).to.equal(true);
    expect(res.json.status).to.have.keys('node_id', 'agents', 'storage', 'events', 'performance', 'timestamp');
    const human = await runCli(['orchestration', 'status'], env);
    expect(human.stdout).to.match(/^Sidecar \d+\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+: \w+, up \d+ s/);
  });

  it('prints only a JWT from token, valid for the running sidecar from any directory', async () => {
    const res = await runCli(['orchestration', 'token', '--agent-type', 'python-specialist', '--issue', 'ISSUE-7'], env, { cwd: dir });
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = JSON.parse(Buffer.from(res.stdout.split('.')[1]!, 'base64url').toString());
    expect(claims).to.include({
      agent_type: 'python-specialist',
      project_id: 'my-project',
      issue_id: 'ISSUE-7',
      iss: 'cco-orchestration-sidecar',
      aud: 'cco-agents',
    });
    const status = await fetch(`http://127.0.0.1:${env.CCO_SIDECAR_PORT}/status`, { headers: { authorization: `Bearer ${res.stdout.trim()}` } });
    expect(status.status).to.equal(200);
  });

  it('rejects an unknown permission in token', async () => {
    const res = await runCli(['orchestration', 'token', '--agent-type', 'x', '--permissions', 'root'], env);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.contain("Unknown permission 'root'");
  });

  it('stops the sidecar, then tolerates a stale pid file', async () => {
    const state = JSON.parse(await readFile(path.join(env.CCO_SIDECAR_STORAGE!, 'sidecar.json'), 'utf8'));
    const res = await runCli(['orchestration', 'stop', '--json'], env);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.json).to.include({ stopped: true, pid: state.pid, forced: false });
    // Exited: gone, or a zombie its new parent has not reaped yet.
    expect(readProcStat(state.pid)?.state ?? 'gone').to.be.oneOf(['gone', 'Z']);
    await writeFile(path.join(env.CCO_SIDECAR_STORAGE!, 'sidecar.pid'), '999999\n');
    const again = await runCli(['orchestration', 'stop', '--json'], env);
    expect(again.code).to.equal(0);
    expect(again.json.message).to.contain('removed stale pid file');
  });
});
