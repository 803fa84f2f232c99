import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

async function closedPortUrl(): Promise<string> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(`http://127.0.0.1:${port}`));
    });
  });
}

describe('CLI: store-result and results (real bin/run.js)', () => {
  let s: TestServer;
  let env: Record<string, string>;
  let file: string;

  before(async () => {
    s = await startTestServer();
    // The CLI finds the sidecar (state file) and signs its operator token with the key in the storage dir.
    env = { CCO_SIDECAR_STORAGE: s.storage };
    file = path.join(s.projectRoot, 'result.json');
    await writeFile(file, JSON.stringify({ status: 'success', files_modified: ['src/app.ts'], decisions: ['keep the API'] }));
  });
  after(async () => {
    await s.stop();
  });

  it('stores a result from a file and returns the 201 body with --json', async () => {
    const res = await runCli(['orchestration', 'store-result', 'ISSUE-5', 'react-expert', '--file', file, '--json'], env);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.json).to.have.keys('id', 'stored', 'storage_path', 'next_agents', 'event_published', 'event_id', 'timestamp');
    expect(res.json.storage_path).to.equal(path.join(s.storage, 'results', s.config.project_id, 'ISSUE-5', 'react-expert.json'));
    expect(res.json.next_agents.map((n: { agent_type: string }) => n.agent_type)).to.deep.equal(['test-engineer', 'security-auditor']);
    const stored = await s.request('GET', `/api/results/${res.json.id}`, { token: s.adminToken });
    expect(stored.body).to.deep.include({ agent_id: 'react-expert-cli', agent_type: 'react-expert', issue_id: 'ISSUE-5' });
    expect(stored.body.result).to.deep.equal({ status: 'success', files_modified: ['src/app.ts'], decisions: ['keep the API'] });
  });

  it('prints a readable summary without --json, acting as the agent of JWT_TOKEN', async () => {
    const token = await s.tokenFor({ agent_type: 'test-engineer', sub: 'qa-77' });
    const wrapped = path.join(s.projectRoot, 'wrapped.json');
    await writeFile(wrapped, JSON.stringify({ result: { status: 'failed', errors: ['3 tests fail'] }, timestamp: '2026-11-23T10:00:00Z' }));
    const res = await runCli(['orchestration', 'store-result', 'ISSUE-5', 'test-engineer', '--file', wrapped], { ...env, JWT_TOKEN: token });
    expect(res.code, res.stderr).to.equal(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^Stored result [0-9A-Z]{26} \(failed\) at .*\/ISSUE-5\/test-engineer\.json$/);
    expect(lines.slice(2)).to.deep.equal(['Next agents:', '  chief-architect (high): The agent failed; the architect decides how to recover']);
    const list = await s.request('GET', '/api/results?agent_type=test-engineer', { token: s.adminToken });
    expect(list.body.results[0]).to.deep.include({ agent_id: 'qa-77', timestamp: '2026-11-23T10:00:00.000Z' });
  });

  it('lists results as a table or as data, with filters', async () => {
    const json = await runCli(['orchestration', 'results', '--issue', 'ISSUE-5', '--status', 'success', '--json'], env);
    expect(json.code, json.stderr).to.equal(0);
    expect(json.json.results.map((r: { agent_type: string }) => r.agent_type)).to.deep.equal(['react-expert']);
    expect(json.json.next_cursor).to.equal(null);

    const human = await runCli(['orchestration', 'results', '--issue', 'ISSUE-5', '--limit', '1'], env);
    expect(human.code, human.stderr).to.equal(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^ID +STORED +ISSUE +AGENT TYPE +AGENT +STATUS$/);
    expect(lines[1]).to.match(/^[0-9A-Z]{26} +\S+Z +ISSUE-5 +test-engineer +qa-77 +failed$/);
    expect(lines[2]).to.match(/^More: --cursor \S+$/);
    const next = await runCli(['orchestration', 'results', '--issue', 'ISSUE-5', '--limit', '1', '--cursor', lines[2]!.split(' ').at(-1)!, '--json'], env);
    expect(next.json.results.map((r: { agent_type: string }) => r.agent_type)).to.deep.equal(['react-expert']);
  });

  it('exits 2 on a bad file or id, 1 on a sidecar error, 3 when no sidecar answers', async () => {
    const garbage = path.join(s.projectRoot, 'garbage.json');
    await writeFile(garbage, '{"status": ');
    const bad = await runCli(['orchestration', 'store-result', 'ISSUE-5', 'react-expert', '--file', garbage], env);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('is not valid JSON');

    const traversal = await runCli(['orchestration', 'store-result', '../etc', 'react-expert', '--file', file], env);
    expect(traversal.code).to.equal(2);
    expect(traversal.stderr).to.contain('issue_id must match');

    const token = await s.tokenFor({ agent_type: 'test-engineer', sub: 'qa-77' });
    const forbidden = await runCli(['orchestration', 'store-result', 'ISSUE-5', 'react-expert', '--file', file], { ...env, JWT_TOKEN: token });
    expect(forbidden.code).to.equal(1);
    expect(forbidden.stderr).to.contain('AUTH_003');

    const noStatus = path.join(s.projectRoot, 'no-status.json');
    await writeFile(noStatus, '{"files_created": []}');
    const invalid = await runCli(['orchestration', 'store-result', 'ISSUE-5', 'react-expert', '--file', noStatus], env);
    expect(invalid.code).to.equal(1);
    expect(invalid.stderr).to.contain('REQ_001').and.contain('body.result.status');

    const down = await runCli(['orchestration', 'results', '--url', await closedPortUrl()], env);
    expect(down.code).to.equal(3);
    expect(down.stderr).to.contain('No sidecar answers');
  });
});
