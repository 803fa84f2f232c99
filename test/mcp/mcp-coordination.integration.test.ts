import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, httpClient, texts } from './mcp-helpers.js';

describe('MCP: lease and gate tools (spec §7, §8) on a real sidecar', function () {
  this.timeout(30_000);
  let s: TestServer;
  const clients: Client[] = [];
  const agent = async (sub: string, agentType = 'python-specialist'): Promise<Client> => {
    const client = await httpClient(s.url, await s.tokenFor({ agent_type: agentType, sub, issue_id: 'ISSUE-9' }));
    clients.push(client);
    return client;
  };

  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await s.stop();
  });

  it('leases a file, refuses a second holder with LSE_001 naming the first, queues with wait_ms, renews and releases', async () => {
    const a = await agent('py-a');
    const b = await agent('py-b');
    const first = await call(a, 'acquire_lease', { paths: ['src/app.py'], ttl_seconds: 60, reason: 'refactor' });
    expect(first.isError ?? false, texts(first).join()).to.equal(false);
    expect(first.structuredContent).to.include({ holder: 'py-a' });
    expect(first.structuredContent.fencing_token).to.be.a('number');
    expect(texts(first)[0]).to.match(/^Leased lse_\S+ on src\/app\.py \(fencing_token \d+/);

    // The directory above conflicts with the file below it.
    const conflict = await call(b, 'acquire_lease', { paths: ['src'] });
    expect(conflict.isError).to.equal(true);
    expect(conflict.structuredContent.code).to.equal('LSE_001');
    expect(JSON.stringify(conflict.structuredContent.details)).to.contain('py-a');

    const listed = await call(b, 'list_leases', { path: 'src' });
    expect(listed.structuredContent.leases.map((l: { holder: string }) => l.holder)).to.deep.equal(['py-a']);

    // Another holder may not renew or release it.
    expect((await call(b, 'release_lease', { id: first.structuredContent.lease_id })).structuredContent.code).to.equal('AUTH_003');
    const renewed = await call(a, 'renew_lease', { id: first.structuredContent.lease_id, ttl_seconds: 600 });
    expect(Date.parse(renewed.structuredContent.expires_at)).to.be.above(Date.parse(first.structuredContent.expires_at));

    // B queues; A's release hands the path over, with a larger fencing token.
    const queued = call(b, 'acquire_lease', { paths: ['src'], wait_ms: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    const released = await call(a, 'release_lease', { id: first.structuredContent.lease_id });
    expect(released.structuredContent.released_at).to.be.a('string');
    const granted = await queued;
    expect(granted.isError ?? false, texts(granted).join()).to.equal(false);
    expect(granted.structuredContent).to.include({ holder: 'py-b' });
    expect(granted.structuredContent.fencing_token).to.be.above(first.structuredContent.fencing_token);
    await call(b, 'release_lease', { id: granted.structuredContent.lease_id });
  });

  it('writes an intent line before a control-level tool acts, and none for data-level tools or the POST itself', async () => {
    const a = await agent('py-audit');
    const lease = await call(a, 'acquire_lease', { paths: ['src/audit.py'], ttl_seconds: 60 });
    await call(a, 'renew_lease', { id: lease.structuredContent.lease_id, ttl_seconds: 120 });
    await call(a, 'get_context', {});
    const lines = (await fsp.readFile(path.join(s.storage, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; sub: string; outcome: string })
      .filter((l) => l.sub === 'py-audit' && l.outcome === 'intent');
    expect(lines.map((l) => l.action)).to.deep.equal(['mcp.tool acquire_lease']);
    await call(a, 'release_lease', { id: lease.structuredContent.lease_id });
  });

  it('refuses a path out of the project root as a tool error, not a crash', async () => {
    const a = await agent('py-c');
    const out = await call(a, 'acquire_lease', { paths: ['../etc/passwd'] });
    expect(out.isError).to.equal(true);
    expect(out.structuredContent.code).to.equal('REQ_001');
  });

  it("creates a gate on the token's issue and wait_gate returns timeout, then open once the expected result is stored", async () => {
    const architect = await agent('arch-1', 'chief-architect');
    const created = await call(architect, 'create_gate', { gate_id: 'g-mcp', expect: [{ agent_type: 'test-engineer' }] });
    expect(created.isError ?? false, texts(created).join()).to.equal(false);
    expect(created.structuredContent).to.include({ gate_id: 'g-mcp', issue_id: 'ISSUE-9', state: 'waiting' });

    const early = await call(architect, 'wait_gate', { id: 'g-mcp', timeout: 100 });
    expect(early.structuredContent).to.include({ state: 'waiting', timeout: true });
    expect(texts(early)[0]).to.contain('call wait_gate again');

    const waiting = call(architect, 'wait_gate', { id: 'g-mcp', timeout: 10_000 });
    const tester = await s.tokenFor({ agent_type: 'test-engineer', sub: 'te-1', issue_id: 'ISSUE-9' });
    const stored = await s.request('POST', '/api/results', {
      token: tester,
      body: { agent_id: 'te-1', issue_id: 'ISSUE-9', agent_type: 'test-engineer', result: { status: 'success' } },
    });
    expect(stored.status).to.equal(201);
    const opened = await waiting;
    expect(opened.structuredContent.state).to.equal('open');
    expect(opened.structuredContent.pending).to.deep.equal([]);
  });
});
