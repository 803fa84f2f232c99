import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, httpClient, texts } from '../mcp/mcp-helpers.js';

describe("MCP get_issue (SDK client on a real sidecar's /mcp)", function () {
  this.timeout(30_000);
  let s: TestServer;
  const clients: Client[] = [];
  const connect = async (token: string): Promise<Client> => {
    const client = await httpClient(s.url, token);
    clients.push(client);
    return client;
  };

  before(async () => {
    s = await startTestServer();
    const res = await s.request('PUT', '/api/issues/ISSUE-7', {
      token: s.adminToken,
      body: { title: 'Fix login redirect', description: 'Lands on /404', labels: ['auth'], files: ['src/auth.py'] },
    });
    expect(res.status).to.equal(201);
  });
  after(async () => {
    for (const c of clients) await c.close();
    await s.stop();
  });

  it('returns the issue of the token by default, the same JSON as HTTP, with a short text', async () => {
    const token = await s.tokenFor({ agent_type: 'python-specialist', issue_id: 'ISSUE-7' });
    const client = await connect(token);
    const tool = (await client.listTools()).tools.find((t) => t.name === 'get_issue')!;
    expect(tool.annotations?.readOnlyHint).to.equal(true);
    expect(tool.inputSchema.required ?? []).to.not.include('issue_id');
    const result = await call(client, 'get_issue');
    expect(result.isError ?? false).to.equal(false);
    const http = await s.request('GET', '/api/issues/ISSUE-7', { token });
    expect(result.structuredContent).to.deep.equal(http.body);
    expect(texts(result)[0]).to.equal('ISSUE-7 (revision 1): Fix login redirect [auth]; names 1 file(s).');
  });

  it('answers contract errors as tool errors: unknown issue 404, another issue 403, a bad id 400', async () => {
    const client = await connect(await s.tokenFor({ agent_type: 'python-specialist', issue_id: 'ISSUE-7' }));
    expect((await call(client, 'get_issue', { issue_id: 'ISSUE-8' })).structuredContent.code).to.equal('AUTH_003');
    const unscoped = await connect(await s.tokenFor({ agent_type: 'python-specialist' }));
    const missing = await call(unscoped, 'get_issue', { issue_id: 'NOPE' });
    expect(missing.isError).to.equal(true);
    expect(missing.structuredContent.code).to.equal('NOT_FOUND');
    expect((await call(unscoped, 'get_issue', { issue_id: '../etc' })).structuredContent.code).to.equal('REQ_001');
  });

  it('is not listed for a token that may not read context', async () => {
    const client = await connect(await s.tokenFor({ agent_type: 'ci', permissions: ['read_results'] }));
    expect((await client.listTools()).tools.map((t) => t.name)).to.not.include('get_issue');
  });
});
