import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Two sidecars with separate storage and project dirs (as on two machines) on one PostgreSQL. */
describe('results on PostgreSQL shared by two sidecars', function () {
  this.timeout(90_000);
  let pg: PostgresServer;
  let url: string;
  let a: TestServer;
  let b: TestServer;
  const secret = randomBytes(32).toString('base64url');

  const node = (): Promise<TestServer> =>
    startTestServer({
      config: { project_id: 'web', jwt_secret: secret, results: { backend: 'postgres' }, postgres: { url, connect_timeout_ms: 1_500 } },
    });
  const store = (server: TestServer, agentType: string, status = 'success') =>
    server.request('POST', '/api/results', {
      token: server.adminToken,
      body: { agent_id: `agent-${agentType}`, agent_type: agentType, issue_id: '42', result: { status, files_modified: ['src/a.ts'] } },
    });

  before(async () => {
    pg = await startPostgresServer();
    url = await pg.createDatabase();
    [a, b] = [await node(), await node()];
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await pg?.destroy();
  });

  it('reads on one node a result stored on the other, in one history and one order', async () => {
    const first = await store(a, 'python-specialist');
    expect(first.status).to.equal(201);
    expect(first.body.storage_path).to.match(/^postgres:\/\/127\.0\.0\.1:\d+\/cco_test_\w+\/cco_results\//);
    expect(first.body.storage_path).not.to.include(pg.password);
    const second = await store(b, 'python-specialist', 'failed');
    expect(second.status).to.equal(201);
    expect(second.body.next_agents.map((n: { agent_type: string }) => n.agent_type)).to.include('chief-architect');

    const read = await b.request('GET', `/api/results/${first.body.id}`, { token: b.adminToken });
    expect(read.status).to.equal(200);
    expect(read.body).to.include({ id: first.body.id, agent_type: 'python-specialist', issue_id: '42', project_id: 'web' });
    expect(read.body.result).to.deep.equal({ status: 'success', files_modified: ['src/a.ts'] });

    for (const server of [a, b]) {
      const list = await server.request('GET', '/api/results?issue_id=42', { token: server.adminToken });
      expect(list.body.results.map((r: { id: string }) => r.id)).to.deep.equal([second.body.id, first.body.id]);
      const latest = await server.request('GET', '/api/results?issue_id=42&latest=true', { token: server.adminToken });
      expect(latest.body.results.map((r: { id: string }) => r.id)).to.deep.equal([second.body.id]);
      const paged = await server.request('GET', '/api/results?issue_id=42&limit=1', { token: server.adminToken });
      expect(paged.body.results).to.have.length(1);
      const rest = await server.request('GET', `/api/results?issue_id=42&limit=1&cursor=${paged.body.next_cursor as string}`, { token: server.adminToken });
      expect(rest.body.results.map((r: { id: string }) => r.id)).to.deep.equal([first.body.id]);
    }
    // A token signed by one node is accepted by the other: they share the signing key.
    const token = await a.tokenFor({ agent_type: 'test-engineer', sub: 'agent-test-engineer' });
    const onB = await b.request('GET', `/api/results/${second.body.id}`, { token });
    expect(onB.status).to.equal(200);
  });

  it('shares issues too: written on one node, read with its revisions on the other', async () => {
    const created = await a.request('PUT', '/api/issues/ISSUE-9', { token: a.adminToken, body: { title: 'Shared issue', labels: ['cluster'] } });
    expect(created.status, created.text).to.equal(201);
    const updated = await b.request('PUT', '/api/issues/ISSUE-9', { token: b.adminToken, body: { title: 'Shared issue, edited on b', labels: ['cluster'] } });
    expect(updated.body.revision).to.equal(2);
    const read = await a.request('GET', '/api/issues/ISSUE-9', { token: a.adminToken });
    expect(read.body).to.include({ title: 'Shared issue, edited on b', revision: 2 });
    const listed = await a.request('GET', '/api/issues?label=cluster', { token: a.adminToken });
    expect(listed.body.issues.map((i: { issue_id: string }) => i.issue_id)).to.deep.equal(['ISSUE-9']);
  });

  it('answers 503 STR_002 within 2 s while PostgreSQL is down, says why in /health, and recovers by itself', async () => {
    await pg.stop();
    try {
      const started = Date.now();
      const failed = await store(a, 'security-auditor');
      expect(Date.now() - started).to.be.below(2_000);
      expect(failed.status).to.equal(503);
      expect(failed.body).to.include({ code: 'STR_002', error: 'storage_unavailable' });
      expect(failed.text).not.to.include(pg.password);

      const t0 = Date.now();
      const read = await b.request('GET', '/api/results?issue_id=42', { token: b.adminToken });
      expect(Date.now() - t0).to.be.below(2_000);
      expect(read.status).to.equal(503);
      expect(read.body.code).to.equal('STR_002');
      const issue = await b.request('GET', '/api/issues/ISSUE-9', { token: b.adminToken });
      expect(issue.status).to.equal(503);
      expect(issue.body.code).to.equal('STR_002');

      const health = await a.request('GET', '/health');
      expect(health.status).to.equal(503);
      expect(health.body.status).to.equal('unhealthy');
      expect(health.body.checks.storage).to.equal('down');
      expect(health.body.checks.storage_reason).to.match(/PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+ unreachable/);
      expect(health.text).not.to.include(pg.password);
      const status = await a.request('GET', '/status', { token: a.adminToken });
      expect(status.text).not.to.include(pg.password);
    } finally {
      await pg.start();
    }
    // The probe notices within about a second; no request is needed to heal.
    const deadline = Date.now() + 10_000;
    let health = await b.request('GET', '/health');
    while (health.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      health = await b.request('GET', '/health');
    }
    expect(health.body.status).to.equal('healthy');
    expect(health.body.checks.storage_reason).to.equal(undefined);
    const again = await store(a, 'security-auditor');
    expect(again.status).to.equal(201);
    const read = await b.request('GET', `/api/results/${again.body.id}`, { token: b.adminToken });
    expect(read.status).to.equal(200);
  });

  it('refuses to start on PostgreSQL without a URL, with a clear message', async () => {
    let err: unknown;
    await startTestServer({ config: { results: { backend: 'postgres' } } }).catch((e: unknown) => {
      err = e;
    });
    expect((err as Error).message).to.include("results.backend is 'postgres' but no PostgreSQL URL is set");
  });
});
