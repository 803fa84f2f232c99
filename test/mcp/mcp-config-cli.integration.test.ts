import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { runCli } from '../helpers/run-cli.js';

/** Connect the SDK client the way the given client would read its entry, and list the tools. */
async function toolsThrough(entry: Record<string, any>, tokenEnv?: string): Promise<string[]> {
  const client = new Client({ name: 'cco-config-test', version: '1.0.0' });
  if (entry.command) {
    await client.connect(
      new StdioClientTransport({ command: entry.command, args: entry.args, env: { PATH: process.env.PATH ?? '', ...entry.env }, stderr: 'ignore' }),
    );
  } else {
    const url = entry.url ?? entry.httpUrl;
    const headers = entry.headers ?? { Authorization: `Bearer ${tokenEnv}` };
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  }
  try {
    return (await client.listTools()).tools.map((t) => t.name);
  } finally {
    await client.close();
  }
}

describe('cco orchestration mcp-config (real bin/run.js, configs fed to the SDK client)', function () {
  this.timeout(60_000);
  let s: TestServer;
  let env: Record<string, string>;
  before(async () => {
    s = await startTestServer();
    env = { CCO_SIDECAR_STORAGE: s.storage };
  });
  after(async () => {
    await s.stop();
  });

  const cases = [
    { client: 'claude', parse: JSON.parse, shape: { type: 'http' } },
    { client: 'json', parse: JSON.parse, shape: { type: 'http' } },
    { client: 'gemini', parse: JSON.parse, shape: {} },
    { client: 'cursor', parse: JSON.parse, shape: {} },
    { client: 'codex', parse: parseToml, shape: { bearer_token_env_var: 'CCO_MCP_TOKEN' } },
  ] as const;

  for (const { client, parse, shape } of cases) {
    it(`prints a ${client} config that parses and connects over HTTP with a token scoped to type and issue`, async () => {
      const res = await runCli(['orchestration', 'mcp-config', '--client', client, '--agent-type', 'python-specialist', '--issue', 'ISSUE-5'], env);
      expect(res.code, res.stderr).to.equal(0);
      const doc = parse(res.stdout);
      const entry = (client === 'codex' ? doc.mcp_servers : doc.mcpServers).cco;
      expect(entry).to.include(shape);
      expect(entry.url ?? entry.httpUrl).to.equal(`${s.url}/mcp`);
      if (client === 'codex') expect(JSON.stringify(entry)).to.not.contain('eyJ');
      const token = client === 'codex' ? /export CCO_MCP_TOKEN=(\S+)/.exec(res.stdout)![1]! : String(entry.headers.Authorization).replace('Bearer ', '');
      const claims = await s.handle.deps.tokens.verify(token);
      expect(claims).to.include({ agent_type: 'python-specialist', issue_id: 'ISSUE-5', sub: 'python-specialist-mcp', project_id: s.config.project_id });
      const tools = await toolsThrough(entry, token);
      expect(tools).to.include.members(['get_context', 'store_result']);
      expect(tools).to.not.include('spawn_agent');
    });
  }

  it('prints stdio entries that run the real cco orchestration mcp', async () => {
    for (const client of ['claude', 'codex'] as const) {
      const res = await runCli(['orchestration', 'mcp-config', '--client', client, '--agent-type', 'chief-architect', '--transport', 'stdio', '--json'], env);
      expect(res.code, res.stderr).to.equal(0);
      const entry = client === 'codex' ? (parseToml(res.json.snippet) as any).mcp_servers.cco : res.json.config.mcpServers.cco;
      expect(entry.args.slice(-2)).to.deep.equal(['orchestration', 'mcp']);
      expect(entry.env.CCO_SIDECAR_URL).to.equal(s.url);
      if (client === 'claude') expect(entry.type).to.equal('stdio');
      expect(await toolsThrough(entry)).to.include('spawn_agent');
    }
  });

  it('--write merges into the project file without dropping other servers or settings (0600)', async () => {
    const claudeFile = path.join(s.projectRoot, '.mcp.json');
    await fsp.writeFile(claudeFile, JSON.stringify({ mcpServers: { github: { type: 'http', url: 'https://example.test/mcp' } }, other: 1 }));
    const res = await runCli(['orchestration', 'mcp-config', '--client', 'claude', '--agent-type', 'test-engineer', '--write', '--json'], env);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.json).to.include({ written: true, file: claudeFile });
    const written = JSON.parse(await fsp.readFile(claudeFile, 'utf8'));
    expect(written.other).to.equal(1);
    expect(written.mcpServers.github).to.deep.equal({ type: 'http', url: 'https://example.test/mcp' });
    expect(written.mcpServers.cco.url).to.equal(`${s.url}/mcp`);
    expect((await fsp.stat(claudeFile)).mode & 0o777).to.equal(0o600);
    expect(await toolsThrough(written.mcpServers.cco)).to.include('wait_for_events');

    const codexFile = path.join(s.projectRoot, '.codex', 'config.toml');
    await fsp.mkdir(path.dirname(codexFile), { recursive: true });
    await fsp.writeFile(codexFile, 'model = "o4"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n');
    const codex = await runCli(['orchestration', 'mcp-config', '--client', 'codex', '--agent-type', 'test-engineer', '--write'], env);
    expect(codex.code, codex.stderr).to.equal(0);
    expect(codex.stdout).to.contain('export CCO_MCP_TOKEN=');
    const toml = parseToml(await fsp.readFile(codexFile, 'utf8')) as any;
    expect(toml.model).to.equal('o4');
    expect(toml.mcp_servers.docs).to.deep.equal({ command: 'docs-mcp' });
    expect(toml.mcp_servers.cco).to.deep.equal({ url: `${s.url}/mcp`, bearer_token_env_var: 'CCO_MCP_TOKEN' });

    const geminiFile = path.join(s.projectRoot, '.gemini', 'settings.json');
    const gemini = await runCli(['orchestration', 'mcp-config', '--client', 'gemini', '--agent-type', 'test-engineer', '--write', '--json'], env);
    expect(gemini.code, gemini.stderr).to.equal(0);
    expect(JSON.parse(await fsp.readFile(geminiFile, 'utf8')).mcpServers.cco.httpUrl).to.equal(`${s.url}/mcp`);
  });

  it('refuses to overwrite a file it cannot parse, and bad flags with exit 2', async () => {
    const cursorFile = path.join(s.projectRoot, '.cursor', 'mcp.json');
    await fsp.mkdir(path.dirname(cursorFile), { recursive: true });
    await fsp.writeFile(cursorFile, '{ not json');
    const res = await runCli(['orchestration', 'mcp-config', '--client', 'cursor', '--agent-type', 'test-engineer', '--write'], env);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.contain('nothing was written');
    expect(await fsp.readFile(cursorFile, 'utf8')).to.equal('{ not json');
    const bad = await runCli(['orchestration', 'mcp-config', '--client', 'claude', '--agent-type', '../x'], env);
    expect(bad.code).to.equal(2);
    const json = await runCli(['orchestration', 'mcp-config', '--client', 'json', '--agent-type', 'x', '--write'], env);
    expect(json.code).to.equal(2);
  });
});
