import { expect } from 'chai';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { writeTree } from '../context/helpers.js';

describe('CLI: get-context and clear-cache', function () {
  this.timeout(60_000);
  let server: TestServer;
  let project: string;
  let out: string;
  let conn: string[];

  before(async () => {
    project = await makeTempDir('cco-ctx-cli-');
    out = await makeTempDir('cco-ctx-out-');
    await writeTree(project, {
      'app/main.py': 'def main():\n    return 1\n',
      'app/big.py': `# big\n${'x = 1\n'.repeat(5000)}`,
      'README.md': '# Demo\n',
    });
    server = await startTestServer({ projectRoot: project });
    conn = ['--url', server.url, '--token', server.adminToken];
  });
  after(async () => {
    await server?.stop();
    await removeDir(project);
    await removeDir(out);
  });

  it('get-context --json prints the contract body', async () => {
    const res = await runCli(['orchestration', 'get-context', 'ISSUE-1', 'python-specialist', '--json', ...conn]);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.json).to.include({ issue_id: 'ISSUE-1', agent_type: 'python-specialist' });
    expect(res.json.context.relevant_files.map((f: { path: string }) => f.path)).to.include('app/main.py');
  });

  it('get-context prints a summary of files, sizes and truncation (no spinner without a TTY)', async () => {
    const res = await runCli(['orchestration', 'get-context', 'ISSUE-1', 'python-specialist', '--max-bytes', '4096', ...conn]);
    expect(res.code, res.stderr).to.equal(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(
      /^Context for python-specialist on ISSUE-1: \d+ files, [\d.]+ (B|KiB) \(~\d+ tokens\), truncated \(smart\), [\d.]+ ms \((built|cache hit)\)$/,
    );
    expect(lines.some((l) => /^ {2}app\/big\.py +[\d.]+ KiB of [\d.]+ KiB {2}/.test(l))).to.equal(true);
    expect(lines.some((l) => l.startsWith('  project  3 files'))).to.equal(true);
    expect(lines).to.include('  git      not a git work tree');
    expect(res.stderr).to.equal('');
  });

  it('get-context --output writes the JSON with mode 0600', async () => {
    const file = path.join(out, 'ctx.json');
    const res = await runCli(['orchestration', 'get-context', 'ISSUE-1', 'test-engineer', '--output', file, ...conn]);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout.split('\n')[0]).to.equal(`Wrote ${file}`);
    const body = JSON.parse(await readFile(file, 'utf8'));
    expect(body.agent_type).to.equal('test-engineer');
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
  });

  it('get-context reports contract errors with their code', async () => {
    const res = await runCli(['orchestration', 'get-context', 'ISSUE-1', 'python-specialist', '--max-bytes', String(11 * 1024 * 1024), ...conn]);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.contain('CTX_002');
  });

  it('clear-cache <issue> then again, --all, and argument checks', async () => {
    await runCli(['orchestration', 'get-context', 'ISSUE-2', 'python-specialist', '--json', ...conn]);
    const first = await runCli(['orchestration', 'clear-cache', 'ISSUE-2', ...conn]);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/^Cleared 1 cached contexts of issue ISSUE-2 \(\d+ bytes freed\)\n$/);
    const again = await runCli(['orchestration', 'clear-cache', 'ISSUE-2', '--json', ...conn]);
    expect(again.code).to.equal(0);
    expect(again.json).to.include({ cleared: false, entries_removed: 0, bytes_freed: 0 });
    const all = await runCli(['orchestration', 'clear-cache', '--all', '--json', ...conn]);
    expect(all.code, all.stderr).to.equal(0);
    expect(all.json.cleared).to.equal(true);
    expect(all.json.entries_removed).to.be.greaterThan(0);
    const neither = await runCli(['orchestration', 'clear-cache', ...conn]);
    expect(neither.code).to.equal(1);
    expect(neither.stderr).to.contain('Give an issue id or --all');
    const both = await runCli(['orchestration', 'clear-cache', 'ISSUE-2', '--all', ...conn]);
    expect(both.code).to.equal(1);
  });

  it('exits 3 when no sidecar answers', async () => {
    const res = await runCli(['orchestration', 'get-context', 'ISSUE-1', 'python-specialist', '--url', 'http://127.0.0.1:9', '--token', 'x']);
    expect(res.code).to.equal(3);
    expect(res.stderr).to.contain('No sidecar answers');
  });
});
