import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisServer } from '../helpers/redis-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { FIXTURE_AGENT, alive, until } from './helpers.js';

const SECRET = 'z'.repeat(48);

describe('agent registry on Redis: two sidecars with separate storage dirs', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let a: TestServer;
  let b: TestServer;
  let dir: string;
  before(async () => {
    redis = await RedisServer.start();
    dir = await makeTempDir('cco-ragents-');
    const fixture = path.join(dir, 'fixture-agent.mjs');
    await fsp.writeFile(fixture, FIXTURE_AGENT);
    const shared = {
      project_id: 'cluster-agents',
      jwt_secret: SECRET,
      agent_nice: 0,
      agent_kill_grace_seconds: 0.3,
      redis: { url: redis.url, heartbeat_ms: 500, forward_timeout_ms: 1_000 },
      agents: {
        'sleepy-engineer': { command: process.execPath, args: [fixture, 'sleep', '{task}'] },
        'failing-engineer': { command: process.execPath, args: [fixture, 'exit', '4'] },
      },
    };
    a = await startTestServer({ config: { ...shared, node_id: 'node-a' } });
    b = await startTestServer({ config: { ...shared, node_id: 'node-b' } });
    expect(a.storage).to.not.equal(b.storage);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
    if (dir) await removeDir(dir);
  });

  const spawnOn = async (s: TestServer, agentType: string, task: string): Promise<string> => {
    const res = await s.request('POST', '/api/agents/spawn', { token: s.adminToken, body: { agent_type: agentType, issue_id: 'ISSUE-1', task } });
    expect(res.status, res.text).to.equal(201);
    return res.body.agent_id as string;
  };

  it('lists, reads the status and logs of, and kills through B an agent spawned on A', async () => {
    const id = await spawnOn(a, 'sleepy-engineer', '30000');
    const listed = await b.request('GET', '/api/agents', { token: b.adminToken });
    expect(listed.status, listed.text).to.equal(200);
    const entry = listed.body.agents.find((x: any) => x.agent_id === id);
    expect(entry).to.include({ node_id: 'node-a', status: 'running', agent_type: 'sleepy-engineer', issue_id: 'ISSUE-1' });
    expect(entry.process_id).to.be.a('number');

    const status = await b.request('GET', `/api/agents/${id}/status`, { token: b.adminToken });
    expect(status.status, status.text).to.equal(200);
    expect(status.body).to.include({ agent_id: id, status: 'running', node_id: 'node-a' });

    const logs = await b.request('GET', `/api/agents/${id}/logs?stream=stderr`, { token: b.adminToken });
    expect(logs.status, logs.text).to.equal(200);
    expect(logs.body).to.include({ agent_id: id, stream: 'stderr', final: false });

    const killed = await b.request('DELETE', `/api/agents/${id}`, { token: b.adminToken });
    expect(killed.status, killed.text).to.equal(200);
    expect(killed.body).to.include({ agent_id: id, killed: true, signal: 'SIGTERM' });
    const pid = entry.process_id as number;
    await until(() => !alive(pid), 10_000, 50);
    await until(async () => (await b.request('GET', `/api/agents/${id}/status`, { token: b.adminToken })).body.status === 'killed', 10_000, 50);
  });

  it("reads the log lines of an ended agent of A through B, and B's own agents are listed on A", async () => {
    const onA = await spawnOn(a, 'failing-engineer', 'x');
    const onB = await spawnOn(b, 'sleepy-engineer', '50');
    await until(async () => (await b.request('GET', `/api/agents/${onA}/status`, { token: b.adminToken })).body.status === 'failed', 10_000, 50);
    const logs = await b.request('GET', `/api/agents/${onA}/logs?stream=stdout`, { token: b.adminToken });
    expect(logs.status, logs.text).to.equal(200);
    expect(logs.body).to.include({ final: true, status: 'failed' });
    expect(logs.body.lines).to.deep.equal(['out line']);
    const listed = await a.request('GET', '/api/agents?type=sleepy-engineer', { token: a.adminToken });
    expect(listed.body.agents.map((x: any) => x.agent_id)).to.include(onB);
    expect(listed.body.agents.every((x: any) => x.agent_type === 'sleepy-engineer')).to.equal(true);
  });

  it('answers 404 NOT_FOUND on every node for an unknown id', async () => {
    for (const s of [a, b]) {
      for (const [method, p] of [
        ['GET', '/status'],
        ['GET', '/logs'],
        ['DELETE', ''],
      ] as const) {
        const res = await s.request(method, `/api/agents/agt_nope_${randomUUID().slice(0, 8)}${p}`, { token: s.adminToken });
        expect(res.status, `${method} ${p}`).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
      }
    }
  });

  it('marks the agents of a node killed with SIGKILL failed (node_lost) once, after its heartbeat lapsed', async () => {
    const script = fileURLToPath(new URL('./redis-agent-node.js', import.meta.url));
    const child = spawn(process.execPath, [script, redis.url, 'cluster-agents', 'node-c'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await until(() => out.includes('\n'), 30_000, 50);
    const started = JSON.parse(out.split('\n')[0]!) as { agent_id: string; process_id: number; storage: string; dir: string };
    try {
      const before = await b.request('GET', `/api/agents/${started.agent_id}/status`, { token: b.adminToken });
      expect(before.body).to.include({ status: 'running', node_id: 'node-c' });
      child.kill('SIGKILL');
      await exited;
      // The node is gone but not yet declared dead: forwarded requests answer 503 AGT_004.
      const logs = await b.request('GET', `/api/agents/${started.agent_id}/logs`, { token: b.adminToken });
      expect(logs.status, logs.text).to.equal(503);
      expect(logs.body.code).to.equal('AGT_004');
      const t0 = Date.now();
      let last: any;
      await until(
        async () => {
          last = (await a.request('GET', `/api/agents/${started.agent_id}/status`, { token: a.adminToken })).body;
          return last.status === 'failed';
        },
        10_000,
        50,
      );
      expect(last).to.include({ status: 'failed', reason: 'node_lost', node_id: 'node-c' });
      expect(Date.now() - t0).to.be.below(5_000);
      // One agent_failed event, although both nodes sweep.
      await new Promise((r) => setTimeout(r, 800));
      const events = await a.request('GET', '/api/events?type=agent_failed&limit=1000', { token: a.adminToken });
      const mine = events.body.events.filter((e: any) => e.data.agent_id === started.agent_id);
      expect(mine).to.have.length(1);
      expect(mine[0].data).to.include({ reason: 'node_lost', status: 'failed' });
      // Killing it now is not an error: nothing is left to stop through the cluster.
      const killed = await b.request('DELETE', `/api/agents/${started.agent_id}`, { token: b.adminToken });
      expect(killed.status, killed.text).to.equal(200);
      expect(killed.body).to.include({ killed: false, status: 'failed' });
    } finally {
      child.kill('SIGKILL');
      // The orphaned agent (its own process group) is this test's to end.
      try {
        process.kill(-started.process_id, 'SIGKILL');
      } catch {
        /* gone */
      }
      await removeDir(path.dirname(started.storage)).catch(() => undefined);
      await removeDir(started.dir).catch(() => undefined);
    }
  });
});
