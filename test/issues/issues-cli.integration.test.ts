import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BIN, runCli, type CliResult } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** `bin/run.js` with `input` on its stdin (runCli gives the child no stdin). */
function runCliWithStdin(args: string[], env: Record<string, string>, input: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          /* not JSON */
        }
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, json });
      },
    );
    child.stdin!.end(input);
  });
}

describe('CLI: issue set|show|delete and issues (real bin/run.js)', function () {
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

  it('sets an issue with labels, files and a description file, and --json returns what the API stored', async () => {
    const desc = path.join(s.projectRoot, 'issue.md');
    await writeFile(desc, 'Users land on /404 after login.\n\nSee `redirect_after_login()`.\n');
    const res = await runCli(
      [
        'orchestration',
        'issue',
        'set',
        'ISSUE-7',
        '--title',
        'Login redirects to /404',
        '--label',
        'auth,bug',
        '--label',
        'p1',
        '--file',
        'src/auth/**',
        '--file',
        'src/app.py',
        '--description-file',
        desc,
        '--acceptance',
        'Lands on /home',
        '--json',
      ],
      env,
    );
    expect(res.code, res.stderr).to.equal(0);
    expect(res.json.created).to.equal(true);
    expect(res.json.issue).to.deep.include({
      issue_id: 'ISSUE-7',
      title: 'Login redirects to /404',
      labels: ['auth', 'bug', 'p1'],
      files: ['src/auth/**', 'src/app.py'],
      description: 'Users land on /404 after login.\n\nSee `redirect_after_login()`.\n',
      acceptance: 'Lands on /home',
      revision: 1,
    });
    const stored = await s.request('GET', '/api/issues/ISSUE-7', { token: s.adminToken });
    expect(stored.body).to.deep.equal(res.json.issue);
  });

  it('reads the description from stdin with --description-file - and prints a readable view', async () => {
    const res = await runCliWithStdin(
      ['orchestration', 'issue', 'set', 'ISSUE-8', '--title', 'Slow search', '--description-file', '-'],
      env,
      'Search takes 9 s on 10k rows.',
    );
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.contain('Created ISSUE-8 (revision 1)');
    expect(res.stdout).to.contain('Search takes 9 s on 10k rows.');
    const again = await runCli(['orchestration', 'issue', 'set', 'ISSUE-8', '--title', 'Slow search on the admin page'], env);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.contain('Set ISSUE-8 (revision 2)');
  });

  it('shows an issue, its history, lists with a label filter, and deletes', async () => {
    const show = await runCli(['orchestration', 'issue', 'show', 'ISSUE-7'], env);
    expect(show.code, show.stderr).to.equal(0);
    expect(show.stdout.split('\n')[0]).to.equal('ISSUE-7: Login redirects to /404');
    expect(show.stdout).to.contain('labels: auth, bug, p1');

    const list = await runCli(['orchestration', 'issues', '--label', 'bug', '--json'], env);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.json.issues.map((i: { issue_id: string }) => i.issue_id)).to.deep.equal(['ISSUE-7']);
    const table = await runCli(['orchestration', 'issues'], env);
    expect(table.stdout.split('\n')[0]).to.match(/^ID\s+REV\s+UPDATED\s+LABELS\s+TITLE$/);
    expect(table.stdout).to.contain('Slow search on the admin page');

    const del = await runCli(['orchestration', 'issue', 'delete', 'ISSUE-8', '--json'], env);
    expect(del.code, del.stderr).to.equal(0);
    expect(del.json).to.deep.include({ issue_id: 'ISSUE-8', deleted: true, revision: 3 });
    const history = await runCli(['orchestration', 'issue', 'show', 'ISSUE-8', '--history', '--json'], env);
    expect(history.json.revisions.map((r: { revision: number }) => r.revision)).to.deep.equal([1, 2, 3]);
    expect(history.json.revisions[2].deleted_at).to.be.a('string');
  });

  it('exits 1 with the contract code for a refusal, 2 for bad usage, 3 when no sidecar answers', async () => {
    const missing = await runCli(['orchestration', 'issue', 'show', 'NOPE'], env);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('[NOT_FOUND]');
    const coder = await s.tokenFor({ agent_type: 'python-specialist' });
    const refused = await runCli(['orchestration', 'issue', 'set', 'ISSUE-9', '--title', 'x'], { ...env, JWT_TOKEN: coder });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain('[AUTH_003]');
    const badTitle = await runCli(['orchestration', 'issue', 'set', 'ISSUE-9', '--title', 'x'.repeat(301)], env);
    expect(badTitle.code).to.equal(1);
    expect(badTitle.stderr).to.contain('[REQ_001]').and.contain('body.title');
    const big = path.join(s.projectRoot, 'big.md');
    await writeFile(big, 'x'.repeat(65_536));
    const tooBig = await runCli(['orchestration', 'issue', 'set', 'ISSUE-9', '--title', 'x', '--description-file', big], env);
    expect(tooBig.code).to.equal(2);
    expect(tooBig.stderr).to.contain('64 KiB');
    expect((await runCli(['orchestration', 'issue', 'show', '../etc'], env)).code).to.equal(2);
    expect((await runCli(['orchestration', 'issue', 'set', 'ISSUE-9'], env)).code).to.equal(2);
    const down = await runCli(['orchestration', 'issues', '--url', 'http://127.0.0.1:9', '--token', coder], env);
    expect(down.code).to.equal(3);
  });
});
