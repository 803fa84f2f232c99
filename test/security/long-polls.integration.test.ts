import { expect } from 'chai';
import http from 'node:http';
import { startTestServer, type TestServer, type TestResponse } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';

/**
 * HAZARDS.md "Bodies, sockets and long-polls" on the real event bus routes: waits are capped per
 * token and in total with the contract's 429 RATE_001, a wait counts once against the rate limit,
 * outlives request_timeout, and shutdown answers every pending wait at once.
 */
describe('security: long-polls', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({
      config: { rate_limits: {}, events: { max_waits_per_token: 3, max_waits_total: 5 }, http: { request_timeout_ms: 1_000, headers_timeout_ms: 1_000 } },
    });
  });
  after(async () => {
    await s.stop();
  });

  /** A wait that stays open; `abort` frees it (client gone). */
  function openWait(token: string, timeoutMs = 60_000): { answer: Promise<TestResponse>; abort: () => void } {
    let req!: http.ClientRequest;
    const answer = new Promise<TestResponse>((resolve, reject) => {
      const base = new URL(s.url);
      req = http.get(
        {
          host: base.hostname,
          port: base.port,
          path: `/api/events/wait/cap_test?since=now&timeout=${timeoutMs}`,
          agent: false,
          headers: { authorization: `Bearer ${token}` },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => {
            let body: any = text;
            try {
              body = JSON.parse(text);
            } catch {
              /* keep text */
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
          });
        },
      );
      req.on('error', reject);
    });
    answer.catch(() => undefined);
    return { answer, abort: () => req.destroy() };
  }
  const settle = () => new Promise((r) => setTimeout(r, 150));

  it('caps concurrent waits per token and in total with 429 RATE_001 at once', async () => {
    const architect = (sub: string) => s.tokenFor({ sub, agent_type: 'chief-architect' }); // not rate limited: only the wait caps count
    const a = await architect('waiter-a');
    const b = await architect('waiter-b');
    const c = await architect('waiter-c');
    const held = [openWait(a), openWait(a), openWait(a)];
    await settle();
    const started = Date.now();
    const perToken = await s.request('GET', '/api/events/wait/cap_test?since=now&timeout=60000', { token: a });
    expectContractError(perToken, 429, 'RATE_001');
    expect(perToken.headers['retry-after']).to.match(/^\d+$/);
    expect(perToken.body.details).to.include.keys('retry_after_seconds', 'limit');
    expect(Date.now() - started).to.be.below(1_000);
    held.push(openWait(b), openWait(b));
    await settle();
    const total = await s.request('GET', '/api/events/wait/cap_test?since=now&timeout=60000', { token: c });
    expectContractError(total, 429, 'RATE_001');
    // A client that goes away frees its slot.
    held[0]!.abort();
    await settle();
    const freed = openWait(c, 200);
    expect((await freed.answer).status).to.equal(200);
    for (const w of held) w.abort();
  });

  it('counts a long-poll once against the rate limit, however long it waits', async () => {
    const token = await s.tokenFor({ sub: 'patient', agent_type: 'python-specialist' });
    const wait = await s.request('GET', '/api/events/wait/once_test?since=now&timeout=1200', { token });
    expect(wait.status).to.equal(200);
    expect(wait.body.timeout).to.equal(true);
    expect(wait.headers['x-ratelimit-remaining']).to.equal('9');
    expect((await s.request('GET', '/status', { token })).headers['x-ratelimit-remaining']).to.equal('8');
  });

  it('lets a wait run past request_timeout and headers_timeout (1 s here), and wakes it on publish', async () => {
    const token = await s.tokenFor({ sub: 'sleeper', agent_type: 'chief-architect' });
    const wait = openWait(token, 10_000);
    await new Promise((r) => setTimeout(r, 2_200));
    const published = await s.request('POST', '/api/events/cap_test', { token, body: { data: { n: 1 } } });
    expect(published.status).to.equal(202);
    const res = await wait.answer;
    expect(res.status).to.equal(200);
    expect(res.body.events.map((e: any) => e.data)).to.deep.equal([{ n: 1 }]);
  });

  it('answers every pending wait at once when the sidecar stops (no 13.8 s close)', async () => {
    const server = await startTestServer();
    const token = await server.tokenFor({ sub: 'shutdown-waiter', agent_type: 'chief-architect' });
    const base = new URL(server.url);
    const waits = Array.from(
      { length: 5 },
      () =>
        new Promise<number>((resolve) => {
          http
            .get(
              {
                host: base.hostname,
                port: base.port,
                path: '/api/events/wait/x?since=now&timeout=300000',
                agent: false,
                headers: { authorization: `Bearer ${token}` },
              },
              (res) => {
                res.resume();
                res.on('end', () => resolve(res.statusCode ?? 0));
              },
            )
            .on('error', () => resolve(0));
        }),
    );
    await settle();
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).to.be.below(2_000);
    for (const status of await Promise.all(waits)) expect(status, 'answered, not reset').to.be.oneOf([200, 503]);
  });
});
