import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFor } from '../../src/config/load-config.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { until } from '../agents/helpers.js';

const SDK = (p: string): string => fileURLToPath(new URL(`../../../node_modules/@modelcontextprotocol/sdk/dist/esm/${p}`, import.meta.url));

/**
 * An agent as a coding-agent CLI would be one: it finds its MCP server in the file it is given
 * (`CCO_MCP_CONFIG`, or the `--mcp-config` argument of the claude preset), connects with the SDK
 * client and stores its result through the `store_result` tool. It records what it saw first.
 */
const MCP_AGENT = `
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { Client } from ${JSON.stringify(SDK('client/index.js'))};
import { StreamableHTTPClientTransport } from ${JSON.stringify(SDK('client/streamableHttp.js'))};
const argv = process.argv.slice(2);
const flag = (name) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
const file = flag('--mcp-config') ?? process.env.CCO_MCP_CONFIG;
const task = flag('-p') ?? process.env.TASK;
const doc = JSON.parse(readFileSync(file, 'utf8'));
const server = doc.mcpServers.cco;
writeFileSync(process.env.REPORT, JSON.stringify({ argv, file, env_file: process.env.CCO_MCP_CONFIG, mode: statSync(file).mode & 0o777, server }));
const client = new Client({ name: 'fake-agent', version: '1' });
await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: server.headers } }));
const res = await client.callTool({ name: 'store_result', arguments: { result: { status: 'success', summary: task } } });
if (res.isError) { console.error(JSON.stringify(res.structuredContent)); process.exit(2); }
await client.close();
`;

describe('spawned agents get MCP (CCO_MCP_CONFIG, {mcp_config}, presets)', function () {
  this.timeout(40_000);
  let s: TestServer;
  let dir: string;
  let binDir: string;
  const savedPath = process.env.PATH;

  before(async () => {
    dir = await makeTempDir('cco-agent-mcp-');
    binDir = path.join(dir, 'bin');
    await fsp.mkdir(binDir);
    const script = path.join(dir, 'mcp-agent.mjs');
    await fsp.writeFile(script, MCP_AGENT);
    // A fake `claude` on the PATH, so the claude preset runs exactly as configured.
    await fsp.writeFile(path.join(binDir, 'claude'), `#!${process.execPath}\nimport(${JSON.stringify(script)});\n`, { mode: 0o755 });
    process.env.PATH = `${binDir}:${savedPath ?? ''}`;
    s = await startTestServer({
      config: {
        agent_nice: 0,
        agents: {
          'python-specialist': { command: process.execPath, args: [script], env: { REPORT: path.join(dir, 'plain.json') } },
          'test-engineer': { preset: 'claude', env: { REPORT: path.join(dir, 'claude.json') } },
        },
      },
    });
  });
  after(async () => {
    process.env.PATH = savedPath;
    await s.stop();
    await removeDir(dir);
  });

  async function spawnAndWait(agentType: string, task: string): Promise<{ agent: any; result: any }> {
    const res = await s.request('POST', '/api/agents/spawn', { token: s.adminToken, body: { agent_type: agentType, issue_id: 'ISSUE-MCP', task } });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    let agent: any;
    await until(
      async () => {
        agent = (await s.request('GET', `/api/agents/${res.body.agent_id}/status`, { token: s.adminToken })).body;
        return !['queued', 'running'].includes(agent.status);
      },
      20_000,
      50,
    );
    const results = await s.request('GET', `/api/results?issue_id=ISSUE-MCP&agent_type=${agentType}&latest=true`, { token: s.adminToken });
    return { agent, result: results.body.results[0] };
  }

  it('a spawned agent reads CCO_MCP_CONFIG (0600, its own token) and stores its result over MCP; the file is removed after exit', async () => {
    const { agent, result } = await spawnAndWait('python-specialist', 'store through MCP');
    const logs = await s.request('GET', `/api/agents/${agent.agent_id}/logs?stream=stderr`, { token: s.adminToken });
    expect(agent.status, JSON.stringify(logs.body.lines)).to.equal('completed');
    const report = JSON.parse(await fsp.readFile(path.join(dir, 'plain.json'), 'utf8'));
    expect(report.mode).to.equal(0o600);
    expect(report.server).to.deep.include({ type: 'http', url: `${s.url}/mcp` });
    const claims = await s.handle.deps.tokens.verify(String(report.server.headers.Authorization).replace('Bearer ', ''));
    expect(claims).to.include({ sub: agent.agent_id, agent_type: 'python-specialist', issue_id: 'ISSUE-MCP' });
    expect(result).to.deep.include({ agent_id: agent.agent_id, agent_type: 'python-specialist', issue_id: 'ISSUE-MCP' });
    expect(result.result).to.deep.equal({ status: 'success', summary: 'store through MCP' });
    await until(
      async () =>
        fsp.access(report.env_file).then(
          () => false,
          () => true,
        ),
      5_000,
      50,
    );
  });

  it('the claude preset runs `claude -p {task} --mcp-config {mcp_config} --strict-mcp-config` and the agent works through it', async () => {
    const { agent, result } = await spawnAndWait('test-engineer', 'run the tests; report "all green"');
    expect(agent.status).to.equal('completed');
    const report = JSON.parse(await fsp.readFile(path.join(dir, 'claude.json'), 'utf8'));
    expect(report.argv).to.deep.equal([
      '-p',
      'run the tests; report "all green"',
      '--mcp-config',
      report.env_file,
      '--strict-mcp-config',
      '--allowedTools',
      'mcp__cco',
    ]);
    expect(result.result.summary).to.equal('run the tests; report "all green"');
  });

  it('resolves every preset in the config to its documented command, extra args appended', () => {
    const agents = configFor({
      project_root: dir,
      storage_path: dir,
      agents: {
        a: { preset: 'claude', args: ['--model', 'sonnet'] },
        b: { preset: 'codex' },
        c: { preset: 'gemini' },
        d: { preset: 'aider' },
        e: { command: 'my-agent', mcp_config_format: 'cursor' },
      },
    }).agents;
    expect(agents.a).to.deep.include({
      command: 'claude',
      args: ['-p', '{task}', '--mcp-config', '{mcp_config}', '--strict-mcp-config', '--allowedTools', 'mcp__cco', '--model', 'sonnet'],
      mcp_config_format: 'claude',
    });
    expect(agents.b).to.deep.include({ command: 'codex', mcp_config_format: 'json' });
    expect(agents.b!.args).to.include('mcp_servers.cco.url="{mcp_url}"').and.include('mcp_servers.cco.bearer_token_env_var="JWT_TOKEN"');
    expect(agents.c).to.deep.include({ command: 'gemini', env: { GEMINI_CLI_SYSTEM_SETTINGS_PATH: '{mcp_config}' }, mcp_config_format: 'gemini' });
    expect(agents.d).to.deep.include({ command: 'aider', args: ['--message', '{task}', '--read', '{context_file}', '--yes-always', '--no-auto-commits'] });
    expect(agents.e).to.deep.include({ command: 'my-agent', args: [], mcp_config_format: 'cursor' });
    expect(() => configFor({ project_root: dir, storage_path: dir, agents: { x: { args: ['y'] } } })).to.throw(/command or a preset/);
  });
});
