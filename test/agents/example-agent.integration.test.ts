import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_CALLER, EXAMPLE_AGENT, createHarness, type Harness } from './helpers.js';

function fakeJwt(sub: string, expInSeconds: number): string {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + expInSeconds })}.sig`;
}

function subOf(auth: string | undefined): string {
  const payload = (auth ?? '').replace(/^Bearer /, '').split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string }).sub;
}

interface Call {
  method: string;
  url: string;
  auth: string | undefined;
  body: any;
}

/**
 * The example agent against a recording stand-in for the sidecar API, so its protocol (paths,
 * bodies, token refresh, Retry-After handling) is checked with a real child process. The full flow
 * against the real sidecar is in agents-http.integration.test.ts.
 */
describe('examples/example-agent (protocol, real process)', function () {
  this.timeout(20_000);
  let h: Harness;
  let server: http.Server;
  let calls: Call[];
  let rateLimitOnce: boolean;
  before(async () => {
    h = await createHarness();
    calls = [];
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        calls.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: text ? JSON.parse(text) : null });
        const send = (status: number, body: object, headers: Record<string, string> = {}): void => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        };
        if (req.url === '/api/auth/refresh') return send(200, { token: fakeJwt('refreshed', 3600), expires_at: 'later' });
        if (req.url?.startsWith('/api/context/')) {
          return send(200, {
            file_count: 1,
            total_size_bytes: 40,
            cache_hit: false,
            context: { relevant_files: [{ path: 'src/a.py', content: 'x = 1\n# TODO: handle errors\n' }] },
          });
        }
        if (req.url === '/api/results') {
          if (rateLimitOnce) {
            rateLimitOnce = false;
            return send(429, { code: 'RATE_001', message: 'slow down', details: { retry_after_seconds: 0 } }, { 'retry-after': '0' });
          }
          return send(201, { id: 'res-1', stored: true });
        }
        if (req.url === '/api/events/task_completed') return send(202, { event_id: 'evt-1', published: true });
        return send(404, { code: 'NOT_FOUND', message: 'no' });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await h.cleanup();
    await new Promise((r) => server.close(r));
  });

  it('gets context, stores a result, publishes its completion event, refreshes a token near expiry and retries a 429', async () => {
    const port = (server.address() as AddressInfo).port;
    const sup = h.make(
      { agents: { 'python-specialist': { command: process.execPath, args: [EXAMPLE_AGENT] } } },
      {
        sidecarUrl: `http://127.0.0.1:${port}/api`,
        mintToken: async (req) => ({ token: fakeJwt(req.sub, 120), exp: 0, expires_at: 'soon' }),
      },
    );
    await sup.start();
    rateLimitOnce = true;
    const res = await sup.spawn({ agent_type: 'python-specialist', issue_id: 'ISSUE-9', task: 'find the TODOs' }, ADMIN_CALLER);
    const end = await sup.waitForEnd(res.agent_id);
    const stderr = await sup.readLogs(res.agent_id, 'stderr');
    expect(end.status, stderr.lines.join('\n')).to.equal('completed');

    expect(calls.map((c) => `${c.method} ${c.url.split('?')[0]}`)).to.deep.equal([
      'POST /api/auth/refresh',
      'GET /api/context/ISSUE-9/python-specialist',
      'POST /api/results',
      'POST /api/results',
      'POST /api/events/task_completed',
    ]);
    // The first token had 120 s left (< 300 s margin): refreshed once, the new one used after.
    expect(subOf(calls[0]!.auth)).to.equal(res.agent_id);
    expect(calls.slice(1).map((c) => subOf(c.auth))).to.deep.equal(['refreshed', 'refreshed', 'refreshed', 'refreshed']);
    const stored = calls[3]!.body;
    expect(stored).to.deep.include({ agent_id: res.agent_id, agent_type: 'python-specialist', issue_id: 'ISSUE-9' });
    expect(stored.result).to.deep.include({ status: 'success', next_steps: ['src/a.py:2 TODO handle errors'] });
    expect(calls[4]!.body).to.deep.equal({
      topic: 'coordination',
      data: { agent_id: res.agent_id, agent_type: 'python-specialist', issue_id: 'ISSUE-9', result_id: 'res-1', markers: 1 },
    });
    const out = await sup.readLogs(res.agent_id, 'stdout');
    expect(out.lines.some((l) => l.includes('token refreshed'))).to.equal(true);
  });
});
