import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { FIXTURE_AGENT } from './helpers.js';
import { formatUptime, renderTable } from '../../src/commands/orchestration/agents.js';

describe('CLI: spawn, agents, logs, kill', function () {
  this.timeout(60_000);
  let s: TestServer;
  let dir: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(['orchestration', ...args, '--url', s.url, '--token', s.adminToken], env);

  before(async () => {
    dir = await makeTempDir('cco-agents-cli-');
    const fixture = path.join(dir, 'fixture-agent.mjs');
    await fsp.writeFile(fixture, FIXTURE_AGENT);
    s = await startTestServer({
      config: {
        agent_kill_grace_seconds: 0.3,
        agent_nice: 0,
        agents: {
          'sleepy-engineer': { command: process.execPath, args: [fixture, 'sleep', '{task}'] },
          'failing-engineer': { command: process.execPath, args: [fixture, 'exit', '{task}'] },
        },
      },
    });
    env = { CCO_SIDECAR_STORAGE: path.join(dir, 'unused-storage') };
  });
  after(async () => {
    await s.stop();
    await removeDir(dir);
  });

  it('spawns, lists with uptime, follows logs to the end, and kills', async () => {
    const failing = await cli('spawn', '--type', 'failing-engineer', '--issue', 'ISSUE-C', '--task', '5', '--env', 'FLAG=1');
    expect(failing.code, failing.stderr).to.equal(0);
    const id = /Spawned (agt-[a-z0-9-]+) \(failing-engineer on ISSUE-C\), pid \d+/.exec(failing.stdout)?.[1];
    expect(id, failing.stdout).to.be.a('string');
    expect(failing.stdout).to.include(`follow: cco orchestration logs ${id} --follow`);

    const followed = await cli('logs', id!, '--stream', 'stderr', '--follow');
    expect(followed.code, followed.stderr).to.equal(0);
    expect(followed.stdout).to.equal(`err line\n-- ${id} ended: failed\n`);

    const sleepy = await cli('spawn', '--type', 'sleepy-engineer', '--issue', 'ISSUE-C', '--task', '60000', '--json');
    expect(sleepy.json).to.include({ status: 'running', spawned: true });
    const list = await cli('agents', '--issue', 'ISSUE-C');
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^ID\s+TYPE\s+ISSUE\s+STATUS\s+NODE\s+PID\s+UPTIME\s+EXIT\s+CREATED$/);
    expect(lines[1]).to.match(
      new RegExp(`^${sleepy.json.agent_id}\\s+sleepy-engineer\\s+ISSUE-C\\s+running\\s+\\S+\\s+${sleepy.json.process_id}\\s+\\d+s\\s+-`),
    );
    expect(lines[2]).to.match(new RegExp(`^${id}\\s+failing-engineer\\s+ISSUE-C\\s+failed\\s+\\S+\\s+\\d+\\s+\\d+s\\s+5`));

    const kill = await cli('kill', sleepy.json.agent_id);
    expect(kill.code, kill.stderr).to.equal(0);
    expect(kill.stdout).to.equal(`Sent SIGTERM to the process group of ${sleepy.json.agent_id}\n${sleepy.json.agent_id} is killed (SIGTERM)\n`);
    const again = await cli('kill', sleepy.json.agent_id, '--force');
    expect(again.stdout).to.equal(`${sleepy.json.agent_id} had already ended (killed)\n`);

    const refused = await cli('spawn', '--type', 'sleepy-engineer', '--issue', 'ISSUE-C', '--task', '1', '--env', 'LD_PRELOAD=/tmp/x.so');
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('REQ_001');
  });

  it('formats uptimes and tables', () => {
    expect([formatUptime(null), formatUptime(42_000), formatUptime(185_000), formatUptime(3_725_000)]).to.deep.equal(['-', '42s', '3m05s', '1h02m']);
    expect(renderTable(['A', 'BB'], [['xyz', '1']])).to.equal('A    BB\nxyz  1');
  });
});
