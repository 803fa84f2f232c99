import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { eventsOf, until } from './helpers.js';

/** An agent that leases the path given as its task with its own token, then exits or sleeps. */
const LEASING_AGENT = `
const [mode, file] = process.argv.slice(2);
const res = await fetch(process.env.SIDECAR_URL + '/leases', { method: 'POST',
  headers: { authorization: 'Bearer ' + process.env.JWT_TOKEN, 'content-type': 'application/json' },
  body: JSON.stringify({ paths: [file], ttl_seconds: 3600 }) });
console.log(res.status, await res.text());
if (mode === 'hold') await new Promise((r) => setTimeout(r, 60_000));
`;

describe('leases of spawned agents end with them (spec §8)', () => {
  let s: TestServer;
  let dir: string;

  before(async () => {
    dir = await makeTempDir('cco-lease-agents-');
    const script = path.join(dir, 'leasing-agent.mjs');
    await writeFile(script, LEASING_AGENT);
    s = await startTestServer({
      config: {
        agent_kill_grace_seconds: 0.3,
        agent_nice: 0,
        agents: {
          'holding-engineer': { command: process.execPath, args: [script, 'hold', '{task}'] },
          'quick-engineer': { command: process.execPath, args: [script, 'exit', '{task}'] },
        },
      },
    });
  });
  after(async () => {
    await s.stop();
    await removeDir(dir);
  });

  async function spawnHolding(agentType: string, file: string): Promise<{ agentId: string; lease: any }> {
    const res = await s.request('POST', '/api/agents/spawn', { token: s.adminToken, body: { agent_type: agentType, issue_id: 'A-1', task: file } });
    expect(res.status, res.text).to.equal(201);
    const agentId = res.body.agent_id as string;
    const lease = await until(async () => {
      const released = (await eventsOf(s, ['lease_acquired'])).find((e) => e.data.holder === agentId);
      return released?.data;
    }, 10_000);
    return { agentId, lease };
  }

  async function releasedEvent(leaseId: string): Promise<any> {
    return until(async () => (await eventsOf(s, ['lease_released'])).find((e) => e.data.lease_id === leaseId), 10_000);
  }

  it('releases every lease of an agent when its process exits', async () => {
    const { agentId, lease } = await spawnHolding('quick-engineer', 'src/quick.ts');
    expect(lease).to.include({ agent_type: 'quick-engineer', issue_id: 'A-1' });
    const event = await releasedEvent(lease.lease_id);
    expect(event.data).to.include({ holder: agentId, why: 'agent completed' });
    expect((await s.request('GET', `/api/leases?holder=${agentId}`, { token: s.adminToken })).body.leases).to.deep.equal([]);
  });

  it('releases them when the agent is killed', async () => {
    const { agentId, lease } = await spawnHolding('holding-engineer', 'src/held.ts');
    const other = await s.tokenFor({ sub: 'other' });
    const blocked = await s.request('POST', '/api/leases', { token: other, body: { paths: ['src/held.ts'] } });
    expect(blocked.status).to.equal(409);
    expect(blocked.body.details.conflicts[0].holder).to.equal(agentId);
    const waiting = s.request('POST', '/api/leases', { token: other, body: { paths: ['src/held.ts'], wait_ms: 15_000 } });
    const killed = await s.request('DELETE', `/api/agents/${agentId}`, { token: s.adminToken });
    expect(killed.status, killed.text).to.equal(200);
    const event = await releasedEvent(lease.lease_id);
    expect(event.data).to.include({ holder: agentId, why: 'agent killed' });
    expect((await waiting).body.holder).to.equal('other');
  });
});
