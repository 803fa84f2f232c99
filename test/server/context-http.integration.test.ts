import { expect } from 'chai';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { writeTree } from '../context/helpers.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('HTTP: context and cache routes', function () {
  this.timeout(30_000);
  let server: TestServer;
  let project: string;
  let pyToken: string;

  before(async () => {
    project = await makeTempDir('cco-ctx-http-');
    await writeTree(project, {
      'app/main.py': 'def main():\n    return 1\n',
      'app/test_main.py': 'from app.main import main\n',
      'README.md': '# Demo\n',
      '.env': 'SECRET=do-not-send\n',
      'pyproject.toml': '[project]\nname = "demo"\ndependencies = ["flask>=3"]\n',
    });
    server = await startTestServer({ projectRoot: project });
    pyToken = await server.tokenFor({ agent_type: 'python-specialist' });
  });
  after(async () => {
    await server?.stop();
    await removeDir(project);
  });

  it("GET /api/context/:issue/:type answers the contract for the token's own agent type", async () => {
    const res = await server.request('GET', '/api/context/ISSUE-1/python-specialist', { token: pyToken });
    expect(res.status).to.equal(200);
    expect(res.headers['x-cache']).to.equal('MISS');
    expect(res.headers['x-context-freshness']).to.equal('ttl=2000ms');
    expect(res.body).to.have.all.keys(
      'issue_id',
      'agent_type',
      'context',
      'truncated',
      'truncation_strategy',
      'total_size_bytes',
      'file_count',
      'token_estimate',
      'generation_ms',
      'timestamp',
      'cache_hit',
    );
    expect(res.body.cache_hit).to.equal(false);
    const files = res.body.context.relevant_files.map((f: { path: string }) => f.path);
    expect(files[0]).to.equal('app/main.py');
    expect(files).to.not.include('.env');
    expect(res.text).to.not.include('do-not-send');
    expect(res.body.context.git_context).to.equal(null);
    expect(res.body.context.metadata.project_type).to.equal('python');
    expect(res.body.context.project_structure.root).to.equal(server.config.project_root);
    const again = await server.request('GET', '/api/context/ISSUE-1/python-specialist', { token: pyToken });
    expect(again.body.cache_hit).to.equal(true);
    expect(again.headers['x-cache']).to.equal('HIT');
  });

  it('passes query parameters through and validates them', async () => {
    const ok = await server.request('GET', '/api/context/ISSUE-1/python-specialist?max_files=1&strategy=file_sampling&max_bytes=4096&q=readme&refresh=true', {
      token: pyToken,
    });
    expect(ok.status).to.equal(200);
    expect(ok.body.file_count).to.equal(1);
    expect(ok.body.truncation_strategy).to.equal('file_sampling');
    expect(ok.body.cache_hit).to.equal(false);
    expect(ok.body.context.relevant_files[0].path).to.equal('README.md');
    for (const bad of ['max_files=0', 'max_files=1001', 'max_bytes=abc', 'max_bytes=0', 'strategy=random', 'refresh=yes', 'max_files=1&max_files=2']) {
      const res = await server.request('GET', `/api/context/ISSUE-1/python-specialist?${bad}`, { token: pyToken });
      expect(res.status, bad).to.equal(400);
      expect(res.body.code).to.equal('REQ_001');
      expect(res.body.details.issues[0].path).to.match(/^query\./);
    }
  });

  it('answers 413 CTX_002 above the 10 MiB budget cap', async () => {
    const res = await server.request('GET', `/api/context/ISSUE-1/python-specialist?max_bytes=${10 * 1024 * 1024 + 1}`, { token: pyToken });
    expect(res.status).to.equal(413);
    expect(res.body).to.deep.include({ code: 'CTX_002', error: 'context_budget_too_large' });
    expect(res.body.details).to.deep.equal({ requested: 10 * 1024 * 1024 + 1, cap: 10 * 1024 * 1024 });
    const atCap = await server.request('GET', `/api/context/ISSUE-1/python-specialist?max_bytes=${10 * 1024 * 1024}`, { token: pyToken });
    expect(atCap.status).to.equal(200);
  });

  it('rejects encoded traversal and NUL in path parameters (decoded values are validated)', async () => {
    for (const p of [
      '/api/context/..%2F..%2Fetc/python-specialist',
      '/api/context/ISSUE-1/..%2F..%2Fpasswd',
      '/api/context/a%00b/python-specialist',
      '/api/context/..%2e/python-specialist',
      `/api/context/${'x'.repeat(300)}/python-specialist`,
    ]) {
      const res = await server.request('GET', p, { token: pyToken });
      expect(res.status, p).to.equal(400);
      expect(res.body.code).to.equal('REQ_001');
      expect(res.text).to.not.include('root:');
    }
  });

  it('scopes: another agent type needs read_project_context; another issue or project is forbidden', async () => {
    const other = await server.request('GET', '/api/context/ISSUE-1/go-developer', { token: pyToken });
    expect(other.status).to.equal(403);
    expect(other.body.code).to.equal('AUTH_003');
    const wide = await server.tokenFor({ agent_type: 'python-specialist', permissions: ['read_project_context'] });
    expect((await server.request('GET', '/api/context/ISSUE-1/go-developer', { token: wide })).status).to.equal(200);
    const issueScoped = await server.tokenFor({ agent_type: 'python-specialist', issue_id: 'ISSUE-9' });
    expect((await server.request('GET', '/api/context/ISSUE-1/python-specialist', { token: issueScoped })).status).to.equal(403);
    expect((await server.request('GET', '/api/context/ISSUE-9/python-specialist', { token: issueScoped })).status).to.equal(200);
    const otherProject = await server.tokenFor({ agent_type: 'python-specialist', project_id: 'elsewhere' });
    expect((await server.request('GET', '/api/context/ISSUE-1/python-specialist', { token: otherProject })).status).to.equal(403);
    const none = await server.tokenFor({ agent_type: 'python-specialist', permissions: ['read_results'] });
    expect((await server.request('GET', '/api/context/ISSUE-1/python-specialist', { token: none })).status).to.equal(403);
    expect((await server.request('GET', '/api/context/ISSUE-1/python-specialist', { token: null })).status).to.equal(401);
  });

  it('DELETE /api/cache/context/:issue clears that issue (counts, bytes), then 404', async () => {
    const admin = server.adminToken;
    await server.request('GET', '/api/context/ISSUE-C/python-specialist', { token: admin });
    await server.request('GET', '/api/context/ISSUE-C/test-engineer', { token: admin });
    expect((await server.request('DELETE', '/api/cache/context/ISSUE-C', { token: pyToken })).status).to.equal(403);
    const res = await server.request('DELETE', '/api/cache/context/ISSUE-C', { token: admin });
    expect(res.status).to.equal(200);
    expect(res.body).to.have.all.keys('cleared', 'entries_removed', 'bytes_freed', 'timestamp');
    expect(res.body.cleared).to.equal(true);
    expect(res.body.entries_removed).to.equal(2);
    expect(res.body.bytes_freed).to.be.greaterThan(0);
    const again = await server.request('DELETE', '/api/cache/context/ISSUE-C', { token: admin });
    expect(again.status).to.equal(404);
    expect(again.body.code).to.equal('NOT_FOUND');
    expect((await server.request('DELETE', '/api/cache/context/..%2Fx', { token: admin })).status).to.equal(400);
  });

  it('DELETE /api/cache/all clears everything, then 404; an issue-scoped token may not', async () => {
    const admin = server.adminToken;
    await server.request('GET', '/api/context/ISSUE-D/python-specialist', { token: admin });
    const scoped = await server.tokenFor({ agent_type: 'chief-architect', issue_id: 'ISSUE-D', permissions: ['read_project_context'] });
    expect((await server.request('DELETE', '/api/cache/all', { token: scoped })).status).to.equal(403);
    const res = await server.request('DELETE', '/api/cache/all', { token: admin });
    expect(res.status).to.equal(200);
    expect(res.body.entries_removed).to.be.greaterThan(0);
    expect((await server.request('DELETE', '/api/cache/all', { token: admin })).status).to.equal(404);
  });

  it('/status counts cached contexts and the hit rate; /health reports the watcher', async () => {
    await server.request('GET', '/api/context/ISSUE-S/python-specialist', { token: pyToken });
    await server.request('GET', '/api/context/ISSUE-S/python-specialist', { token: pyToken });
    const status = await server.request('GET', '/status', { token: server.adminToken });
    expect(status.body.storage.context_cache_entries).to.be.greaterThan(0);
    expect(status.body.storage.context_cache_bytes).to.be.greaterThan(0);
    expect(status.body.storage.cache_hit_rate).to.be.greaterThan(0).and.at.most(1);
    const health = await server.request('GET', '/health');
    expect(health.body.checks.watcher).to.equal('disabled');
    const metrics = await server.request('GET', '/metrics', { token: server.adminToken });
    expect(metrics.text).to.match(/sidecar_cache_hits_total \d+/);
  });
});

describe('HTTP: context with the watcher on', function () {
  this.timeout(30_000);
  let server: TestServer;
  let project: string;
  before(async () => {
    project = await makeTempDir('cco-ctx-watch-');
    await writeTree(project, { 'src/a.ts': 'export const a = 1;\n' });
    server = await startTestServer({ projectRoot: project, config: { watch: true } });
  });
  after(async () => {
    await server?.stop();
    await removeDir(project);
  });

  it('reports watcher ok in /health and serves edits without clearing the cache', async () => {
    const deadline = Date.now() + 10_000;
    while (server.handle.deps.context.watcherReport().phase !== 'ok' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await server.request('GET', '/health')).body.checks.watcher).to.equal('ok');
    const q = '/api/context/I/typescript-specialist';
    await server.request('GET', q, { token: server.adminToken });
    await writeTree(project, { 'src/a.ts': 'export const a = 2;\n' });
    let content = '';
    while (Date.now() < deadline && !content.includes('a = 2')) {
      const res = await server.request('GET', q, { token: server.adminToken });
      expect(res.headers['x-context-freshness']).to.equal('watch');
      content = res.body.context.relevant_files.find((f: { path: string }) => f.path === 'src/a.ts').content;
    }
    expect(content).to.equal('export const a = 2;\n');
    expect(path.isAbsolute(project)).to.equal(true);
  });
});

describe('HTTP: context wired to results and events', function () {
  this.timeout(30_000);
  let server: TestServer;
  let project: string;
  before(async () => {
    project = await makeTempDir('cco-ctx-wired-');
    await writeTree(project, { 'app/main.py': 'print(1)\n', 'app/util.py': 'x = 1\n', 'docs/notes.md': '# notes\n' });
    server = await startTestServer({ projectRoot: project, config: { watch: true } });
  });
  after(async () => {
    await server?.stop();
    await removeDir(project);
  });

  it('a stored result shows up in previous_agent_outputs at once and raises its files', async () => {
    const admin = server.adminToken;
    const q = '/api/context/ISSUE-R/python-specialist';
    const before = await server.request('GET', q, { token: admin });
    expect(before.body.context.previous_agent_outputs).to.deep.equal([]);
    expect((await server.request('GET', q, { token: admin })).body.cache_hit).to.equal(true);
    const stored = await server.request('POST', '/api/results', {
      token: admin,
      body: {
        agent_id: 'a-1',
        agent_type: 'test-engineer',
        issue_id: 'ISSUE-R',
        result: { status: 'success', decisions: ['document the notes'], rationale: 'why', files_modified: ['docs/notes.md'] },
      },
    });
    expect(stored.status).to.equal(201);
    const after = await server.request('GET', q, { token: admin });
    expect(after.body.cache_hit).to.equal(false);
    expect(after.body.context.previous_agent_outputs.map((o: { result_id: string }) => o.result_id)).to.deep.equal([stored.body.id]);
    expect(after.body.context.relevant_files[0].path).to.equal('docs/notes.md');
  });

  it('drops the cached contexts of an issue on an agent_completed event, whoever published it', async () => {
    // What another sidecar sharing the stream would publish after storing a result there.
    const admin = server.adminToken;
    const q = '/api/context/ISSUE-E/python-specialist';
    await server.request('GET', q, { token: admin });
    expect((await server.request('GET', q, { token: admin })).body.cache_hit).to.equal(true);
    const other = await server.request('POST', '/api/events/agent_completed', {
      token: admin,
      body: { topic: 'coordination', data: { issue_id: 'ISSUE-E' } },
    });
    expect(other.status).to.equal(202);
    expect((await server.request('GET', q, { token: admin })).body.cache_hit, 'another topic is not a result event').to.equal(true);
    const published = await server.request('POST', '/api/events/agent_completed', {
      token: admin,
      body: { topic: 'implementation', data: { issue_id: 'ISSUE-E', agent_type: 'test-engineer', status: 'success' } },
    });
    expect(published.status).to.equal(202);
    expect((await server.request('GET', q, { token: admin })).body.cache_hit).to.equal(false);
  });

  it('publishes files_changed on the bus when the watcher sees edits', async () => {
    const deadline = Date.now() + 10_000;
    while (server.handle.deps.context.watcherReport().phase !== 'ok' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await writeTree(project, { 'app/new_module.py': 'y = 2\n' });
    let found: { data: { paths: string[]; changes: unknown[] } } | undefined;
    while (!found && Date.now() < deadline) {
      const res = await server.request('GET', '/api/events?type=files_changed', { token: server.adminToken });
      found = (res.body.events ?? []).find((e: { data: { paths: string[] } }) => e.data.paths.includes('app/new_module.py'));
      if (!found) await new Promise((r) => setTimeout(r, 50));
    }
    expect(found, 'files_changed event').to.not.equal(undefined);
    expect(found!.data.changes).to.deep.include({ path: 'app/new_module.py', kind: 'add' });
  });
});

describe('HTTP: large relevant files (spec §6)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let project: string;

  before(async () => {
    project = await makeTempDir('cco-ctx-big-');
    const line = 'VALUE = "0123456789abcdef0123456789abcdef0123456789abcdef"  # filler\n';
    await writeTree(project, {
      'app/main.py': 'def main():\n    return 1\n',
      // 2 MiB: over the default max_file_bytes (1 MiB) and over the requested budget.
      'app/tables.py': `def first_table():\n    return 1\n${line.repeat(Math.ceil((2 * 1024 * 1024) / line.length))}def last_table():\n    return 2\n`,
    });
    server = await startTestServer({ projectRoot: project });
  });
  after(async () => {
    await server?.stop();
    await removeDir(project);
  });

  it('sends a 2 MiB relevant file cut to head and tail with a marker and truncated: true', async () => {
    const token = await server.tokenFor({ agent_type: 'python-specialist' });
    const res = await server.request('GET', '/api/context/ISSUE-1/python-specialist?q=tables&max_bytes=65536', { token });
    expect(res.status).to.equal(200);
    const big = res.body.context.relevant_files.find((f: { path: string }) => f.path === 'app/tables.py');
    expect(big, 'the large file is not dropped').to.not.equal(undefined);
    expect(big.truncated).to.equal(true);
    expect(big.size).to.be.greaterThan(2 * 1024 * 1024);
    expect(big.content.startsWith('def first_table():')).to.equal(true);
    expect(big.content).to.include('[cco: truncated');
    expect(big.content.trimEnd().endsWith('return 2')).to.equal(true);
    expect(res.body.total_size_bytes).to.be.at.most(65536);
    expect(res.body.truncated).to.equal(true);
  });
});
