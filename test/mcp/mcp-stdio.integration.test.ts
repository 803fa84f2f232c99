import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { BIN } from '../helpers/run-cli.js';
import { call, texts } from './mcp-helpers.js';

/** An SDK client running the real `bin/run.js orchestration mcp` as its stdio server. */
async function stdioClient(env: Record<string, string>, args: string[] = []): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'orchestration', 'mcp', ...args],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'cco-stdio-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe('MCP over stdio (cco orchestration mcp, a bridge to /mcp)', function () {
  this.timeout(30_000);
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('finds the sidecar through SIDECAR_URL (…/api, as spawned agents get it) and uses JWT_TOKEN', async () => {
    const token = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-stdio', issue_id: 'ISSUE-3' });
    const { client, stderr } = await stdioClient({ SIDECAR_URL: `${s.url}/api`, JWT_TOKEN: token });
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).to.include.members(['get_context', 'store_result', 'wait_for_events']);
      expect(names).to.not.include('spawn_agent');
      const stored = await call(client, 'store_result', { result: { status: 'partial', next_steps: ['tests'] } });
      expect(stored.isError ?? false, texts(stored).join()).to.equal(false);
      const envelope = await s.request('GET', `/api/results/${stored.structuredContent.id}`, { token: s.adminToken });
      expect(envelope.body).to.include({ agent_id: 'py-stdio', issue_id: 'ISSUE-3' });
      // A contract error stays a tool error through the bridge; the session goes on.
      const denied = await call(client, 'get_context', { issue_id: 'OTHER' });
      expect(denied.structuredContent.code).to.equal('AUTH_003');
      expect((await call(client, 'list_results')).isError ?? false).to.equal(false);
      expect(stderr()).to.contain(`forwarding stdio to ${s.url}/mcp`);
    } finally {
      await client.close();
    }
  });

  it('signs an operator token from the storage dir when no token is given, and --url wins', async () => {
    const { client } = await stdioClient({ CCO_SIDECAR_STORAGE: s.storage, SIDECAR_URL: 'http://127.0.0.1:1/api' }, ['--url', s.url]);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).to.include.members(['spawn_agent', 'kill_agent']);
    } finally {
      await client.close();
    }
  });

  it('answers a JSON-RPC error (not silence) when the sidecar refuses the token', async () => {
    let failure: Error | undefined;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'orchestration', 'mcp'],
      env: { PATH: process.env.PATH ?? '', CCO_SIDECAR_URL: s.url, JWT_TOKEN: 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'cco-stdio-test', version: '1.0.0' });
    await client.connect(transport).catch((err: Error) => {
      failure = err;
    });
    await client.close().catch(() => undefined);
    expect(failure?.message ?? '').to.match(/did not take the request.*401/);
  });
});
