import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { runCli } from '../helpers/run-cli.js';

describe('CLI: orchestration audit', function () {
  // Each run starts oclif (~1 s, more when the machine is busy).
  this.timeout(40_000);
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await s.request('GET', '/status'); // 401, denied
    await s.request('POST', '/api/auth/revoke', { token: await s.tokenFor({ sub: 'nosy-agent' }), body: { jti: 'x' } }); // intent + 403
    await s.request('POST', '/api/auth/revoke', { token: s.adminToken, body: { jti: 'y' } }); // intent + success
    await s.request('POST', '/api/auth/revoke', { token: s.adminToken, body: { jti: 'z\u001b[2J' } });
  });
  after(async () => {
    await s.stop();
  });

  const audit = (...args: string[]) => runCli(['orchestration', 'audit', '--storage-path', s.storage, ...args]);

  it('reads the local log without a server call and filters by outcome and sub (--json)', async () => {
    const denied = await audit('--outcome', 'denied', '--json');
    expect(denied.code).to.equal(0);
    expect(denied.json.entries.map((e: any) => [e.status, e.code, e.sub])).to.deep.equal([
      [401, 'AUTH_001', null],
      [403, 'AUTH_003', 'nosy-agent'],
    ]);
    const nosy = await audit('--sub', 'nosy-agent', '--json');
    expect(nosy.json.entries.map((e: any) => e.outcome)).to.deep.equal(['intent', 'denied']);
    expect(nosy.json.unreadable_lines).to.equal(0);
  });

  it('keeps the newest --limit entries and filters by --since', async () => {
    const last = await audit('--limit', '2', '--json');
    expect(last.json.entries).to.have.length(2);
    expect(last.json.matched).to.be.above(6);
    expect(last.json.entries.map((e: any) => e.outcome)).to.deep.equal(['intent', 'success']);
    expect((await audit('--since', new Date(Date.now() + 60_000).toISOString(), '--json')).json.matched).to.equal(0);
  });

  it('prints a table with no raw control characters', async () => {
    const table = await audit();
    expect(table.code).to.equal(0);
    expect(table.stdout.split('\n')[0]).to.match(/^time\s+outcome\s+status\s+sub\s+agent_type\s+action\s+resource$/);
    expect(table.stdout).to.contain('POST /api/auth/revoke');
    expect(table.stdout).to.match(/denied\s+403 AUTH_003\s+nosy-agent/);
    expect(table.stdout).to.match(/\d+ matching entries/);
    expect(table.stdout).not.to.match(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('refuses a bad --since with exit 2 and reports a missing log plainly', async () => {
    const bad = await audit('--since', 'yesterday');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('--since must be an ISO 8601 time');
    const none = await runCli(['orchestration', 'audit', '--storage-path', `${s.storage}-missing`]);
    expect(none.code).to.equal(0);
    expect(none.stdout).to.contain('No audit log in');
  });
});
