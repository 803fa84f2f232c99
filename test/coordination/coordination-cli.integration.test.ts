import { expect } from 'chai';
import { runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('CLI: lease, leases, gate and gates (real bin/run.js)', () => {
  let s: TestServer;
  let env: Record<string, string>;

  before(async () => {
    s = await startTestServer();
    env = { CCO_SIDECAR_STORAGE: s.storage };
  });
  after(async () => {
    await s.stop();
  });

  it('acquires, lists, renews and releases leases; a conflict exits 1 naming the holder', async () => {
    const alice = await s.tokenFor({ sub: 'alice' });
    const got = await runCli(['orchestration', 'lease', 'acquire', 'src/a.ts', 'src/b.ts', '--ttl', '120', '--reason', 'split parser', '--json'], {
      ...env,
      JWT_TOKEN: alice,
    });
    expect(got.code, got.stderr).to.equal(0);
    expect(got.json).to.include({ holder: 'alice', reason: 'split parser' });
    expect(got.json.paths).to.deep.equal(['src/a.ts', 'src/b.ts']);

    const conflict = await runCli(['orchestration', 'lease', 'acquire', 'src'], env);
    expect(conflict.code).to.equal(1);
    expect(conflict.stderr).to.contain('src is leased by alice').and.to.contain('LSE_001');

    const human = await runCli(['orchestration', 'leases', '--path', 'src'], env);
    expect(human.code, human.stderr).to.equal(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^LEASE +FENCE +HOLDER +AGENT TYPE +ISSUE +EXPIRES +PATHS$/);
    expect(lines[1]).to.match(new RegExp(`^${got.json.lease_id} +${got.json.fencing_token} +alice +python-specialist +- +\\S+Z +src/a\\.ts,src/b\\.ts$`));

    const foreign = await runCli(['orchestration', 'lease', 'release', got.json.lease_id], { ...env, JWT_TOKEN: await s.tokenFor({ sub: 'bob' }) });
    expect(foreign.code).to.equal(1);
    expect(foreign.stderr).to.contain('AUTH_003');

    const renewed = await runCli(['orchestration', 'lease', 'renew', got.json.lease_id, '--ttl', '900'], { ...env, JWT_TOKEN: alice });
    expect(renewed.code, renewed.stderr).to.equal(0);
    expect(renewed.stdout).to.match(new RegExp(`^Renewed ${got.json.lease_id} until \\S+Z`));

    const released = await runCli(['orchestration', 'lease', 'release', got.json.lease_id], env);
    expect(released.code, released.stderr).to.equal(0);
    expect(released.stdout.trim()).to.equal(`Released ${got.json.lease_id} (src/a.ts, src/b.ts)`);
    const empty = await runCli(['orchestration', 'leases', '--json'], env);
    expect(empty.json.leases).to.deep.equal([]);
    const bad = await runCli(['orchestration', 'lease', 'acquire', '../outside'], env);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain('REQ_001');
  });

  it('waits in the queue with --wait until the holder releases', async () => {
    const alice = await s.tokenFor({ sub: 'alice' });
    const held = await s.request('POST', '/api/leases', { token: alice, body: { paths: ['hot.ts'] } });
    const waiting = runCli(['orchestration', 'lease', 'acquire', 'hot.ts', '--wait', '20', '--json'], env);
    const deadline = Date.now() + 10_000;
    while (s.handle.deps.coordination.leases.stats().waiting_requests === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await s.request('DELETE', `/api/leases/${held.body.lease_id}`, { token: alice });
    const res = await waiting;
    expect(res.code, res.stderr).to.equal(0);
    expect(res.json.holder).to.equal('operator');
    expect(res.json.fencing_token).to.be.greaterThan(held.body.fencing_token);
  });

  it('creates a gate, waits for it, lists gates; an expired gate exits 1', async () => {
    const created = await runCli(
      ['orchestration', 'gate', 'create', '--issue', 'C-1', '--expect', 'test-engineer,security-auditor', '--id', 'cli-gate', '--json'],
      env,
    );
    expect(created.code, created.stderr).to.equal(0);
    expect(created.json).to.include({ gate_id: 'cli-gate', state: 'waiting' });
    const waiting = runCli(['orchestration', 'gate', 'wait', 'cli-gate', '--timeout', '20'], env);
    for (const agentType of ['test-engineer', 'security-auditor']) {
      await s.request('POST', '/api/results', {
        token: s.adminToken,
        body: { agent_id: `${agentType}-1`, agent_type: agentType, issue_id: 'C-1', result: { status: 'success' } },
      });
    }
    const opened = await waiting;
    expect(opened.code, opened.stderr).to.equal(0);
    expect(opened.stdout.trim()).to.equal('Gate cli-gate on C-1 is open (satisfied test-engineer:success,security-auditor:success; pending -)');

    const late = await runCli(['orchestration', 'gate', 'create', '--issue', 'C-1', '--expect', 'code-reviewer', '--timeout', '1', '--id', 'late'], env);
    expect(late.code, late.stderr).to.equal(0);
    const expired = await runCli(['orchestration', 'gate', 'wait', 'late', '--timeout', '10', '--json'], env);
    expect(expired.code, expired.stdout + expired.stderr).to.equal(1);
    expect(expired.json, expired.stdout).to.be.an('object');
    expect(expired.json).to.include({ gate_id: 'late', state: 'expired' });

    const list = await runCli(['orchestration', 'gates', '--issue', 'C-1'], env);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout.trimEnd().split('\n')).to.deep.equal([
      'GATE      ISSUE  STATE    SATISFIED  PENDING',
      'cli-gate  C-1    open     2          -',
      'late      C-1    expired  0          code-reviewer',
    ]);
    const badExpect = await runCli(['orchestration', 'gate', 'create', '--issue', 'C-1', '--expect', 'x:done'], env);
    expect(badExpect.code).to.equal(2);
  });
});
