import { expect } from 'chai';
import { runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { parseTtl } from '../../src/commands/orchestration/dashboard.js';

describe('CLI: dashboard', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer();
    // No DISPLAY in this environment: the command must print, never open a browser.
    env = { CCO_SIDECAR_STORAGE: server.storage };
  });
  after(() => server.stop());

  const tokenOf = (url: string): string => /#token=([^&\s]+)$/.exec(url)![1]!;

  it('prints the dashboard URL with a read + manage token in the fragment, valid for --ttl', async () => {
    const r = await runCli(['orchestration', 'dashboard', '--ttl', '2h', '--json'], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json.url.startsWith(`${server.url}/dashboard#token=`)).to.equal(true);
    expect(r.json.opened).to.equal(false);
    expect(r.json.permissions).to.deep.equal(['read_context', 'read_results', 'subscribe_events', 'manage_agents']);
    const token = tokenOf(r.json.url);
    const lifetime = Date.parse(r.json.expires_at) - Date.now();
    expect(lifetime).to.be.within(2 * 3600_000 - 60_000, 2 * 3600_000 + 1000);
    const agents = await server.request('GET', '/api/agents', { token });
    expect(agents.status).to.equal(200);
    // Never admin: another project's results and the dead-letter purge stay closed.
    const purge = await server.request('DELETE', '/api/events/dead-letter', { token });
    expect(purge.status).to.equal(403);
    const page = await server.request('GET', '/dashboard');
    expect(page.status).to.equal(200);
  });

  it('mints a read-only token with --read-only: it reads results and events but cannot list or kill agents', async () => {
    const r = await runCli(['orchestration', 'dashboard', '--read-only', '--no-open'], env);
    expect(r.code, r.stderr).to.equal(0);
    const [url, note] = r.stdout.trim().split('\n');
    expect(note).to.match(/^read-only token, valid until \S+\. Anyone with this address can use it until then\.$/);
    const token = tokenOf(url!);
    expect((await server.request('GET', '/api/results', { token })).status).to.equal(200);
    expect((await server.request('GET', '/api/events?limit=1', { token })).status).to.equal(200);
    expect((await server.request('GET', '/api/agents', { token })).status).to.equal(403);
    expect((await server.request('DELETE', '/api/agents/agt-x', { token })).status).to.equal(403);
  });

  it('refuses a malformed or out-of-range --ttl', async () => {
    const r = await runCli(['orchestration', 'dashboard', '--ttl', '8 hours'], env);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('--ttl must be seconds or a number with s, m, h or d');
    expect(parseTtl('90')).to.equal(90);
    expect(parseTtl('30m')).to.equal(1800);
    expect(parseTtl('8h')).to.equal(28_800);
    expect(parseTtl('2d')).to.equal(172_800);
    expect(parseTtl('59s')).to.equal(undefined);
    expect(parseTtl('31d')).to.equal(undefined);
  });

  it("refuses a --ttl over the sidecar's max_token_ttl_seconds before minting, naming the limit", async () => {
    const r = await runCli(['orchestration', 'dashboard', '--ttl', '2d', '--no-open'], env);
    expect(r.code).to.equal(2);
    expect(r.stderr.replace(/[\s›]+/g, ' ')).to.contain("--ttl 172800 s is over the sidecar's maximum token lifetime of 86400 s");
    expect(r.stdout).to.not.contain('#token=');
  });
});

describe('dashboard page and its rate limit', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { rate_limits: {} } });
  });
  after(() => server.stop());

  it('serves the page and its files under a CSP with script-src self, and nothing else from the directory', async () => {
    const page = await server.request('GET', '/dashboard');
    expect(page.status).to.equal(200);
    expect(page.headers['content-type']).to.equal('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).to.contain("script-src 'self'");
    expect(csp).to.contain("default-src 'none'");
    expect(csp).not.to.contain('unsafe');
    expect(page.text).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    const js = await server.request('GET', '/dashboard/main.js');
    expect(js.status).to.equal(200);
    expect(js.headers['content-type']).to.equal('text/javascript; charset=utf-8');
    for (const bad of ['/dashboard/..%2Fpackage.json', '/dashboard/nope.js', '/dashboard/index.html', '/dashboard/%2e%2e']) {
      const res = await server.request('GET', bad);
      expect(res.status, bad).to.equal(404);
      expect(res.body.code, bad).to.equal('NOT_FOUND');
    }
  });

  it("gives a dashboard token its own rate limit, above an agent's", async () => {
    const token = await server.tokenFor({ agent_type: 'operator-dashboard', sub: 'operator-dashboard', permissions: ['read_results'] });
    const res = await server.request('GET', '/api/results?limit=1', { token });
    expect(res.status).to.equal(200);
    expect(res.headers['x-ratelimit-limit']).to.equal('600');
  });

  it('lists results with their next_agents on include=next_agents only', async () => {
    await server.request('POST', '/api/results', {
      token: server.adminToken,
      body: { agent_id: 'qa-1', agent_type: 'test-engineer', issue_id: 'N-1', result: { status: 'success' } },
    });
    const plain = await server.request('GET', '/api/results?issue_id=N-1', { token: server.adminToken });
    expect(plain.body.results[0].next_agents).to.equal(undefined);
    const withNext = await server.request('GET', '/api/results?issue_id=N-1&include=next_agents', { token: server.adminToken });
    expect(withNext.body.results[0].next_agents.map((n: { agent_type: string }) => n.agent_type)).to.deep.equal(['security-auditor']);
    const bad = await server.request('GET', '/api/results?include=everything', { token: server.adminToken });
    expect(bad.status).to.equal(400);
  });
});
