import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { FIXTURE_AGENT, until } from '../agents/helpers.js';
import { call, httpClient, texts } from './mcp-helpers.js';

const WORKER_TOOLS = [
  'acquire_lease',
  'agent_status',
  'create_gate',
  'get_context',
  'get_issue',
  'get_result',
  'list_events',
  'list_leases',
  'list_results',
  'publish_event',
  'release_lease',
  'renew_lease',
  'store_result',
  'wait_for_events',
  'wait_gate',
];
const ALL_TOOLS = [...WORKER_TOOLS, 'agent_logs', 'kill_agent', 'list_agents', 'spawn_agent'].sort();

describe('MCP over Streamable HTTP (/mcp on a real sidecar, the SDK client)', function () {
  this.timeout(30_000);
  let s: TestServer;
  let dir: string;
  const clients: Client[] = [];
  const connect = async (token: string | null): Promise<Client> => {
    const client = await httpClient(s.url, token);
    clients.push(client);
    return client;
  };

  before(async () => {
    dir = await makeTempDir('cco-mcp-http-');
    const fixture = path.join(dir, 'fixture-agent.mjs');
    await fsp.writeFile(fixture, FIXTURE_AGENT);
    s = await startTestServer({
      config: {
        agent_nice: 0,
        agent_kill_grace_seconds: 0.3,
        agents: { 'sleepy-engineer': { command: process.execPath, args: [fixture, 'sleep', '{task}'] } },
      },
    });
    await fsp.writeFile(path.join(s.projectRoot, 'app.py'), 'def handler():\n    return 42\n');
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await s.stop();
    await removeDir(dir);
  });

  it('lists only the tools a token may use', async () => {
    const names = async (token: string): Promise<string[]> => (await (await connect(token)).listTools()).tools.map((t) => t.name).sort();
    expect(await names(s.adminToken)).to.deep.equal(ALL_TOOLS);
    expect(await names(await s.tokenFor({ agent_type: 'python-specialist', issue_id: 'ISSUE-1' }))).to.deep.equal(WORKER_TOOLS);
    // Documentation agents may not publish (spec §2).
    expect(await names(await s.tokenFor({ agent_type: 'documentation-specialist' }))).to.deep.equal(
      WORKER_TOOLS.filter((n) => n !== 'publish_event' && n !== 'create_gate'),
    );
    expect(await names(await s.tokenFor({ agent_type: 'ci', permissions: ['read_results'] }))).to.deep.equal(['agent_status', 'get_result', 'list_results']);
    const tools = (await (await connect(s.adminToken)).listTools()).tools;
    for (const tool of tools) {
      expect(tool.description, tool.name).to.be.a('string').with.length.above(60);
      expect(tool.inputSchema.type, tool.name).to.equal('object');
    }
    // issue_id / agent_type default to the token's claims, so they are not required.
    const getContext = tools.find((t) => t.name === 'get_context')!;
    expect(getContext.inputSchema.required ?? []).to.not.include('issue_id');
    expect(getContext.annotations?.readOnlyHint).to.equal(true);
  });

  it("runs the context, results and events tools with the token's defaults, the same JSON as HTTP", async () => {
    const token = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1', issue_id: 'ISSUE-7' });
    const client = await connect(token);

    const context = await call(client, 'get_context', { max_files: 5, q: 'handler' });
    expect(context.isError ?? false, texts(context).join()).to.equal(false);
    expect(context.structuredContent).to.include({ issue_id: 'ISSUE-7', agent_type: 'python-specialist' });
    expect(context.structuredContent.context.relevant_files.map((f: { path: string }) => f.path)).to.include('app.py');
    expect(texts(context)[0]).to.match(/^Context of ISSUE-7 for python-specialist: \d+ files/);
    expect(JSON.parse(texts(context)[1]!)).to.deep.equal(context.structuredContent);

    const stored = await call(client, 'store_result', { result: { status: 'success', files_modified: ['app.py'] } });
    expect(stored.isError ?? false, texts(stored).join()).to.equal(false);
    expect(stored.structuredContent).to.include({ stored: true, event_published: true });
    expect(stored.structuredContent.next_agents.map((n: { agent_type: string }) => n.agent_type)).to.include('test-engineer');
    const viaHttp = await s.request('GET', `/api/results/${stored.structuredContent.id}`, { token });
    expect(viaHttp.body).to.include({ agent_id: 'py-1', agent_type: 'python-specialist', issue_id: 'ISSUE-7' });

    const listed = await call(client, 'list_results', { latest: true, limit: 10 });
    expect(listed.structuredContent.results.map((r: { id: string }) => r.id)).to.deep.equal([stored.structuredContent.id]);
    const one = await call(client, 'get_result', { result_id: stored.structuredContent.id });
    expect(one.structuredContent).to.deep.equal(viaHttp.body);

    const published = await call(client, 'publish_event', { event_type: 'api_ready', data: { issue_id: 'ISSUE-7', port: 8080 } });
    expect(published.structuredContent).to.include({ published: true, topic: 'coordination' });
    const events = await call(client, 'list_events', { type: 'api_ready' });
    expect(events.structuredContent.events.map((e: { event_id: string }) => e.event_id)).to.deep.equal([published.structuredContent.event_id]);
    expect(events.structuredContent.events[0]).to.include({ publisher: 'py-1' });
    expect(events.structuredContent.next_cursor).to.be.a('string');

    const own = await call(client, 'agent_status');
    expect(own.isError).to.equal(true);
    expect(own.structuredContent.code).to.equal('NOT_FOUND');
  });

  it('wait_for_events is woken by a publish over plain HTTP and always returns next_cursor', async () => {
    const client = await connect(await s.tokenFor({ agent_type: 'test-engineer', sub: 'qa-1' }));
    const publisher = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-2' });
    const started = Date.now();
    const waiting = call(client, 'wait_for_events', { event_type: 'build_done', since: 'now', timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const pub = await s.request('POST', '/api/events/build_done', { token: publisher, body: { data: { ok: true } } });
    expect(pub.status).to.equal(202);
    const woken = await waiting;
    expect(Date.now() - started).to.be.below(5_000);
    expect(woken.structuredContent.events.map((e: { event_id: string }) => e.event_id)).to.deep.equal([pub.body.event_id]);
    expect(pub.body.subscribers_notified).to.include('qa-1');
    // Nothing newer: the wait times out with the cursor to continue from.
    const empty = await call(client, 'wait_for_events', { event_type: 'build_done', since: woken.structuredContent.next_cursor, timeout: 100 });
    expect(empty.structuredContent).to.include({ timeout: true });
    expect(empty.structuredContent.events).to.deep.equal([]);
    expect(empty.structuredContent.next_cursor).to.equal(woken.structuredContent.next_cursor);
    expect(texts(empty)[0]).to.contain(`since = "${woken.structuredContent.next_cursor}"`);
  });

  it('caps wait_for_events at mcp.wait_cap_ms whatever timeout the model asks for', async () => {
    const capped = await startTestServer({ config: { mcp: { wait_cap_ms: 300 } } });
    try {
      const client = await httpClient(capped.url, capped.adminToken);
      const started = Date.now();
      const res = await call(client, 'wait_for_events', { event_type: 'never', since: 'now', timeout: 250_000 });
      expect(Date.now() - started).to.be.below(3_000);
      expect(res.structuredContent.timeout).to.equal(true);
      expect(res.structuredContent.next_cursor).to.be.a('string');
      await client.close();
    } finally {
      await capped.stop();
    }
  });

  it('returns contract errors as tool errors with their code, and the session stays usable', async () => {
    const client = await connect(await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-3', issue_id: 'ISSUE-1' }));
    const foreign = await call(client, 'get_context', { issue_id: 'ISSUE-2' });
    expect(foreign.isError).to.equal(true);
    expect(foreign.structuredContent).to.include({ code: 'AUTH_003', error: 'forbidden' });
    expect(texts(foreign)[0]).to.match(/^AUTH_003 \(403 forbidden\): Token is scoped to another issue/);

    const invalid = await call(client, 'store_result', { result: { status: 'done' } });
    expect(invalid.structuredContent.code).to.equal('REQ_001');
    expect(invalid.structuredContent.details.issues[0].path).to.equal('arguments.result.status');

    const badCursor = await call(client, 'wait_for_events', { event_type: '*', since: 'evt_zzzz_1', timeout: 10 });
    expect(badCursor.isError).to.equal(true);
    expect(badCursor.structuredContent.code).to.be.oneOf(['EVT_003', 'EVT_002']);

    // Not listed for this token, and refused when called anyway.
    const spawn = await call(client, 'spawn_agent', { agent_type: 'sleepy-engineer', task: '10' });
    expect(spawn.structuredContent.code).to.equal('AUTH_003');

    const fine = await call(client, 'list_results');
    expect(fine.isError ?? false).to.equal(false);
    await client.callTool({ name: 'no_such_tool', arguments: {} }).then(
      () => expect.fail('an unknown tool is a protocol error'),
      (err: Error) => {
        expect(err.message).to.contain('Unknown tool');
      },
    );
  });

  it('spawns, lists, reads logs of and kills an agent through the agent tools', async () => {
    const client = await connect(await s.tokenFor({ agent_type: 'chief-architect', sub: 'arch-1', issue_id: 'ISSUE-9' }));
    const spawned = await call(client, 'spawn_agent', { agent_type: 'sleepy-engineer', task: '20000' });
    expect(spawned.isError ?? false, texts(spawned).join()).to.equal(false);
    const id = spawned.structuredContent.agent_id as string;
    expect(spawned.structuredContent).to.include({ spawned: true, status: 'running' });
    const listed = await call(client, 'list_agents', { status: 'running' });
    expect(listed.structuredContent.agents.map((a: { agent_id: string }) => a.agent_id)).to.include(id);
    const status = await call(client, 'agent_status', { agent_id: id });
    expect(status.structuredContent).to.include({ agent_id: id, issue_id: 'ISSUE-9', agent_type: 'sleepy-engineer' });
    const logs = await call(client, 'agent_logs', { agent_id: id, stream: 'stdout', tail: 5 });
    expect(logs.structuredContent).to.include({ agent_id: id, stream: 'stdout' });
    const killed = await call(client, 'kill_agent', { agent_id: id, force: true });
    expect(killed.structuredContent).to.include({ agent_id: id, killed: true, signal: 'SIGKILL' });
    await until(async () => (await call(client, 'agent_status', { agent_id: id })).structuredContent.status === 'killed', 10_000, 50);
  });

  it('answers 401 with WWW-Authenticate: Bearer without a valid token, and audits tool calls', async () => {
    for (const method of ['POST', 'GET', 'DELETE']) {
      const res = await s.request(method, '/mcp', method === 'POST' ? { body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } } : {});
      expect(res.status, method).to.equal(401);
      expect(res.headers['www-authenticate'], method).to.match(/^Bearer/);
      expect(res.body.code).to.equal('AUTH_001');
    }
    const junk = await s.request('POST', '/mcp', { token: 'a.b.c', body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } });
    expect(junk.status).to.equal(401);
    let failed: Error | undefined;
    await httpClient(s.url, null).catch((err: Error) => {
      failed = err;
    });
    expect(failed?.message ?? '').to.match(/401|nauthorized/);

    const audit = await fsp.readFile(path.join(s.storage, 'audit.log'), 'utf8');
    const lines = audit
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; sub: string; outcome: string });
    expect(lines.some((l) => l.action === 'mcp.tool store_result' && l.sub === 'py-1' && l.outcome === 'success')).to.equal(true);
    expect(lines.some((l) => l.action === 'mcp.tool get_context' && l.sub === 'py-3' && l.outcome === 'denied')).to.equal(true);
  });

  it('refuses what is not a JSON-RPC message with the contract error, GET and DELETE with 405', async () => {
    const bad = await s.request('POST', '/mcp', { token: s.adminToken, body: { hello: 'world' } });
    expect(bad.status).to.equal(400);
    expect(bad.body.code).to.equal('REQ_001');
    for (const method of ['GET', 'DELETE']) {
      const res = await s.request(method, '/mcp', { token: s.adminToken });
      expect(res.status, method).to.equal(405);
      expect(res.headers.allow).to.equal('POST');
    }
    // A plain curl-like call without the Accept dance still gets JSON.
    const raw = await s.request('POST', '/mcp', { token: s.adminToken, body: { jsonrpc: '2.0', id: 7, method: 'tools/list' } });
    expect(raw.status).to.equal(200);
    expect(raw.body.id).to.equal(7);
    expect(raw.body.result.tools.length).to.equal(ALL_TOOLS.length);
  });
});
