import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { AuditEntry } from '../../src/audit/audit-entry.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { FIXTURE_AGENT, until } from '../agents/helpers.js';

describe('audit log: agent spawns and kills', function () {
  this.timeout(30_000);
  let s: TestServer;
  let dir: string;
  before(async () => {
    dir = await makeTempDir('cco-audit-agents-');
    const fixture = path.join(dir, 'fixture-agent.mjs');
    await fsp.writeFile(fixture, FIXTURE_AGENT);
    s = await startTestServer({
      config: {
        agent_kill_grace_seconds: 0.3,
        agents: {
          'sleepy-engineer': { command: process.execPath, args: [fixture, 'sleep', '{task}'] },
          'slow-engineer': { command: process.execPath, args: [fixture, 'sleep', '60000'], timeout_seconds: 1 },
        },
      },
    });
  });
  after(async () => {
    await s.stop();
    await removeDir(dir);
  });

  const entries = async (): Promise<AuditEntry[]> =>
    (await fsp.readFile(path.join(s.storage, 'audit.log'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry);
  const about = async (agentId: string) => (await entries()).filter((e) => e.resource === `agent:${agentId}` || e.resource === `/api/agents/${agentId}`);

  it('records the spawn request (intent first), the process start, the kill request and the exit', async () => {
    const spawned = await s.request('POST', '/api/agents/spawn', {
      token: s.adminToken,
      body: { agent_type: 'sleepy-engineer', issue_id: 'AUD-2', task: '30000' },
    });
    expect(spawned.status).to.equal(201);
    const id = spawned.body.agent_id as string;
    const spawnLines = (await entries()).filter((e) => e.request_id === spawned.headers['x-request-id']);
    expect(spawnLines.map((e) => [e.action, e.outcome, e.status])).to.deep.equal([
      ['POST /api/agents/spawn', 'intent', null],
      ['POST /api/agents/spawn', 'success', 201],
    ]);
    await until(async () => (await about(id)).some((e) => e.action === 'agent.spawned'), 10_000, 20);
    expect((await s.request('DELETE', `/api/agents/${id}?force=true`, { token: s.adminToken })).status).to.equal(200);
    await until(async () => (await about(id)).some((e) => e.action === 'agent.exited'), 10_000, 50);
    const lines = await about(id);
    expect(lines.map((e) => [e.action, e.outcome])).to.deep.equal([
      ['agent.spawned', 'success'],
      ['DELETE /api/agents/:id', 'intent'],
      ['DELETE /api/agents/:id', 'success'],
      ['agent.exited', 'failure'],
    ]);
    expect(lines[0]!.details).to.include({ issue_id: 'AUD-2', process_id: spawned.body.process_id });
    expect(lines[0]).to.include({ agent_type: 'sleepy-engineer', project_id: s.config.project_id });
    expect(lines[3]!.details!.signal ?? lines[3]!.details!.reason).to.be.a('string');
    // The child's JWT (returned in the spawn answer) never reaches the log.
    const text = await fsp.readFile(path.join(s.storage, 'audit.log'), 'utf8');
    expect(text).not.to.contain(String(spawned.body.jwt_token).split('.')[2]);
  });

  it('records a kill nobody asked for over HTTP (timeout)', async () => {
    const spawned = await s.request('POST', '/api/agents/spawn', { token: s.adminToken, body: { agent_type: 'slow-engineer', issue_id: 'AUD-3', task: 't' } });
    const id = spawned.body.agent_id as string;
    await until(async () => (await about(id)).some((e) => e.action === 'agent.exited'), 15_000, 100);
    const exited = (await about(id)).find((e) => e.action === 'agent.exited')!;
    expect(exited.outcome).to.equal('failure');
    expect(JSON.stringify(exited.details)).to.match(/timeout|timed out/i);
  });
});
