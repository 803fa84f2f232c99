import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { FIXTURE_AGENT, until } from '../agents/helpers.js';

describe('POST /api/agents/spawn creates the issue from its task (spec §6)', function () {
  this.timeout(30_000);
  let s: TestServer;
  let dir: string;
  let report: string;
  let spawner: string;

  before(async () => {
    dir = await makeTempDir('cco-issue-spawn-');
    const fixture = path.join(dir, 'fixture-agent.mjs');
    report = path.join(dir, 'report.json');
    await fsp.writeFile(fixture, FIXTURE_AGENT);
    s = await startTestServer({
      config: { agent_nice: 0, agents: { 'python-specialist': { command: process.execPath, args: [fixture, 'report', report] } } },
    });
    // May spawn, may not manage issues: the spawn alone creates the missing issue.
    spawner = await s.tokenFor({ agent_type: 'devops-engineer', sub: 'ops-1', permissions: ['spawn_agents', 'read_context'] });
  });
  after(async () => {
    await s.stop();
    await removeDir(dir);
  });

  const spawn = (body: object) => s.request('POST', '/api/agents/spawn', { token: spawner, body });
  const issue = (id: string) => s.request('GET', `/api/issues/${id}`, { token: s.adminToken });

  it('creates a missing issue (title: first line, description: the task) before the agent starts, so its context carries it', async () => {
    const task = '\n  Fix the rounding in prorate_invoice()  \nFebruary invoices are off by one day.\nSee pkg/billing.py.';
    const res = await spawn({ agent_type: 'python-specialist', issue_id: 'SPAWN-1', task });
    expect(res.status, res.text).to.equal(201);
    const created = await issue('SPAWN-1');
    expect(created.status).to.equal(200);
    expect(created.body).to.deep.include({ title: 'Fix the rounding in prorate_invoice()', description: task, revision: 1, labels: [], files: [] });
    await until(
      async () =>
        fsp.access(report).then(
          () => true,
          () => false,
        ),
      15_000,
      50,
    );
    // report.context is the CONTEXT_FILE; its `context` is the context answer.
    const seen = JSON.parse(await fsp.readFile(report, 'utf8')) as { context: { context_injected: boolean; context: { context: { issue: unknown } } } };
    expect(seen.context.context_injected).to.equal(true);
    expect(seen.context.context.context.issue).to.deep.equal(created.body);
    const events = await s.request('GET', '/api/events?type=issue_updated', { token: s.adminToken });
    expect(
      events.body.events
        .filter((e: { data: { issue_id: string } }) => e.data.issue_id === 'SPAWN-1')
        .map((e: { publisher: string; data: { action: string } }) => [e.publisher, e.data.action]),
    ).to.deep.equal([['ops-1', 'created']]);
    await until(async () => (await fsp.readFile(path.join(s.storage, 'audit.log'), 'utf8')).includes('issue.created_by_spawn'), 5_000, 50);
    const line = (await fsp.readFile(path.join(s.storage, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.action === 'issue.created_by_spawn');
    expect(line).to.deep.include({
      resource: 'issue:SPAWN-1',
      outcome: 'success',
      sub: 'ops-1',
      agent_type: 'devops-engineer',
      project_id: s.config.project_id,
    });
    expect(line!.details).to.deep.equal({ revision: 1 });
  });

  it('never overwrites an existing issue', async () => {
    const put = await s.request('PUT', '/api/issues/SPAWN-2', {
      token: s.adminToken,
      body: { title: 'Curated title', description: 'Curated text', labels: ['p1'] },
    });
    expect(put.status).to.equal(201);
    expect((await spawn({ agent_type: 'python-specialist', issue_id: 'SPAWN-2', task: 'something else entirely' })).status).to.equal(201);
    expect((await issue('SPAWN-2')).body).to.deep.equal(put.body);
  });

  it("refuses (400 at body.task) a task of exactly 64 KiB that would have to become a new issue's description, never cuts it", async () => {
    const task = `Big task\n${'x'.repeat(65_536 - 'Big task\n'.length)}`;
    expect(Buffer.byteLength(task)).to.equal(65_536);
    const res = await spawn({ agent_type: 'python-specialist', issue_id: 'SPAWN-BIG', task });
    expect(res.status).to.equal(400);
    expect(res.body.details.issues.map((i: { path: string }) => i.path)).to.deep.equal(['body.task']);
    expect((await issue('SPAWN-BIG')).status).to.equal(404);
    // For an issue that exists the task is only the agent's, so the spawn goes ahead.
    await s.request('PUT', '/api/issues/SPAWN-BIG', { token: s.adminToken, body: { title: 'Registered first' } });
    const allowed = await spawn({ agent_type: 'python-specialist', issue_id: 'SPAWN-BIG', task });
    expect(allowed.status, allowed.text).to.equal(201);
  });

  it('creates no issue for a spawn that is refused (unknown agent type, refused environment, issue out of scope)', async () => {
    const unknown = await spawn({ agent_type: 'cobol-wizard', issue_id: 'SPAWN-3', task: 'port it' });
    expect(unknown.status).to.equal(400);
    expect(unknown.body.code).to.equal('AGT_002');
    const env = await spawn({ agent_type: 'python-specialist', issue_id: 'SPAWN-4', task: 'x', environment: { NODE_OPTIONS: '--require /tmp/x.js' } });
    expect(env.status).to.equal(400);
    const scoped = await s.tokenFor({ agent_type: 'chief-architect', issue_id: 'SPAWN-5' });
    const other = await s.request('POST', '/api/agents/spawn', { token: scoped, body: { agent_type: 'python-specialist', issue_id: 'SPAWN-6', task: 'x' } });
    expect(other.status).to.equal(403);
    for (const id of ['SPAWN-3', 'SPAWN-4', 'SPAWN-6']) expect((await issue(id)).status, id).to.equal(404);
  });
});
