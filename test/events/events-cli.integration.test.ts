import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { BIN, runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('CLI: publish-event and subscribe', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer();
    // The CLI finds the sidecar through the state file and signs an operator token with the local key.
    env = { CCO_SIDECAR_STORAGE: server.storage };
  });
  after(() => server.stop());

  it('publishes an event and prints the 202 answer with --json', async () => {
    const r = await runCli(
      ['orchestration', 'publish-event', 'cli_test', '--topic', 'ci', '--data', '{"issue_id":"42"}', '--correlation-id', 'c-9', '--ttl', '600', '--json'],
      env,
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json).to.include({ published: true, topic: 'ci', ttl_seconds: 600, subscriber_count: 0 });
    expect(r.json.event_id).to.match(/^evt_/);
    const human = await runCli(['orchestration', 'publish-event', 'cli_test', '--data', '{"n":2}'], env);
    expect(human.code).to.equal(0);
    expect(human.stdout).to.match(/^Published evt_\S+ \(cli_test on coordination, ttl 86400 s\); woke no waiter\n$/);
  });

  it('refuses --data that is not a JSON object', async () => {
    const r = await runCli(['orchestration', 'publish-event', 'x', '--data', '[1,2]'], env);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('--data must be a JSON object');
    const broken = await runCli(['orchestration', 'publish-event', 'x', '--data', '{nope'], env);
    expect(broken.code).to.equal(1);
    expect(broken.stderr).to.contain('--data is not valid JSON');
  });

  it('subscribe returns buffered events at once, filters, and exits 4 on a timeout with a cursor', async () => {
    const r = await runCli(['orchestration', 'subscribe', 'cli_test', '--filter', 'issue_id:42', '--json'], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json.events.map((e: { correlation_id: string }) => e.correlation_id)).to.deep.equal(['c-9']);
    expect(r.json.timeout).to.equal(false);
    const human = await runCli(['orchestration', 'subscribe', 'cli_test', '--limit', '1'], env);
    expect(human.stdout).to.match(/cli_test {2}\[ci\] {2}from operator corr=c-9 {2}evt_\S+ {2}\{"issue_id":"42"\}\n/);
    expect(human.stdout).to.contain('More events are waiting: continue with --since evt_');
    const none = await runCli(['orchestration', 'subscribe', 'cli_test', '--since', 'now', '--timeout', '100', '--json'], env);
    expect(none.code).to.equal(4);
    expect(none.json).to.include({ timeout: true, more_available: false });
    expect(none.json.next_cursor).to.match(/^evt_/);
  });

  it('reports a bad filter and a foreign cursor as errors with their codes', async () => {
    const bad = await runCli(['orchestration', 'subscribe', 'x', '--filter', 'oops', '--timeout', '0'], env);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain('EVT_002');
    const foreign = await runCli(['orchestration', 'subscribe', 'x', '--since', 'evt_zzzz0000_000000000001', '--timeout', '0'], env);
    expect(foreign.code).to.equal(1);
    expect(foreign.stderr).to.contain('EVT_003');
    expect(foreign.stderr).to.contain('oldest_cursor');
  });

  it('exits 3 when no sidecar answers', async () => {
    const r = await runCli(['orchestration', 'subscribe', 'x', '--timeout', '0'], { ...env, CCO_SIDECAR_URL: 'http://127.0.0.1:9' });
    expect(r.code).to.equal(3);
    expect(r.stderr).to.contain('No sidecar answers');
  });

  it('follows until SIGINT, printing every event exactly once in order', async () => {
    const before = await runCli(['orchestration', 'publish-event', 'follow_me', '--data', '{"n":0}', '--json'], env);
    const child = spawn(
      process.execPath,
      [BIN, 'orchestration', 'subscribe', 'follow_me', '--since', before.json.event_id, '--follow', '--limit', '2', '--timeout', '5000', '--json'],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const token = server.adminToken;
    for (let n = 1; n <= 5; n++) {
      await server.request('POST', '/api/events/follow_me', { token, body: { data: { n } } });
    }
    for (let i = 0; i < 200 && out.split('\n').filter(Boolean).length < 5; i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    expect(await exited, err).to.equal(0);
    const events = out
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { data: { n: number } });
    expect(events.map((e) => e.data.n)).to.deep.equal([1, 2, 3, 4, 5]);
  });
});
