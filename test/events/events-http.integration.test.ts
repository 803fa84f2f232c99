import { expect } from 'chai';
import http from 'node:http';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const CURSOR = /^evt_[0-9a-z]+_\d{12}$/;

describe('events over HTTP: publish, wait, list', () => {
  let server: TestServer;
  let agent: string;
  before(async () => {
    server = await startTestServer();
    agent = await server.tokenFor({ agent_type: 'python-specialist', sub: 'py-1' });
  });
  after(() => server.stop());

  const publish = (type: string, body: Record<string, unknown> = {}, token = agent) =>
    server.request('POST', `/api/events/${type}`, { token, body: { data: {}, ...body } });
  const wait = (type: string, query = '', token = agent) => server.request('GET', `/api/events/wait/${type}?${query}`, { token });

  it('answers a publish with 202 and the contract fields, filling in the publisher', async () => {
    const res = await publish('build_done', { data: { ok: true }, correlation_id: 'c-1', ttl_seconds: 600 });
    expect(res.status).to.equal(202);
    expect(Object.keys(res.body).sort()).to.deep.equal([
      'event_id',
      'published',
      'subscriber_count',
      'subscribers_notified',
      'timestamp',
      'topic',
      'ttl_seconds',
    ]);
    expect(res.body).to.deep.include({ published: true, subscribers_notified: [], subscriber_count: 0, topic: 'coordination', ttl_seconds: 600 });
    expect(res.body.event_id).to.match(CURSOR);
    const page = await wait('build_done', 'timeout=0');
    expect(page.status).to.equal(200);
    expect(page.body.events[0]).to.deep.equal({
      event_id: res.body.event_id,
      event_type: 'build_done',
      publisher: 'py-1',
      topic: 'coordination',
      data: { ok: true },
      timestamp: res.body.timestamp,
      correlation_id: 'c-1',
      ttl_seconds: 600,
    });
  });

  it('wakes a blocked waiter at once and names it in subscribers_notified', async () => {
    const waiter = await server.tokenFor({ agent_type: 'test-engineer', sub: 'qa-7' });
    const pending = wait('deploy', 'since=now&timeout=10000', waiter);
    await until(async () => (await server.request('GET', '/status', { token: server.adminToken })).body.events.active_subscriptions === 1);
    const started = Date.now();
    const res = await publish('deploy', { data: { v: 3 } });
    expect(res.body.subscribers_notified).to.deep.equal(['qa-7']);
    expect(res.body.subscriber_count).to.equal(1);
    const answered = await pending;
    expect(Date.now() - started).to.be.below(1000);
    expect(answered.body.events.map((e: { event_id: string }) => e.event_id)).to.deep.equal([res.body.event_id]);
    expect(answered.body).to.include({ more_available: false, next_cursor: res.body.event_id });
    expect(answered.body.timeout).to.equal(undefined);
  });

  it('answers a timeout with 200, timeout: true and a string next_cursor', async () => {
    const res = await wait('never', 'since=now&timeout=50');
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ timeout: true, more_available: false });
    expect(res.body.events).to.deep.equal([]);
    expect(res.body.next_cursor).to.match(CURSOR);
    expect(res.body.timestamp).to.be.a('string');
  });

  it('filters, selects topics and waits on *', async () => {
    await publish('review', { topic: 'implementation', data: { issue_id: '9', verdict: 'ok' } });
    await publish('review', { topic: 'coordination', data: { issue_id: '9', verdict: 'no' } });
    const filtered = await wait('review', 'timeout=0&filter=issue_id:9,verdict:no');
    expect(filtered.body.events.map((e: { data: { verdict: string } }) => e.data.verdict)).to.deep.equal(['no']);
    const topical = await wait('*', 'timeout=0&topic=implementation');
    expect(topical.body.events.map((e: { event_type: string }) => e.event_type)).to.deep.equal(['review']);
    const bad = await wait('review', 'timeout=0&filter=verdict');
    expect(bad.status).to.equal(400);
    expect(bad.body).to.include({ code: 'EVT_002', error: 'invalid_event' });
    expect(bad.body.request_id).to.be.a('string');
  });

  it('pages with limit and more_available, and lists without waiting', async () => {
    const first = (await publish('page', { data: { i: 0 } })).body.event_id as string;
    for (let i = 1; i < 5; i++) await publish('page', { data: { i } });
    const a = await wait('page', `timeout=0&limit=2`);
    expect(a.body.events.map((e: { data: { i: number } }) => e.data.i)).to.deep.equal([0, 1]);
    expect(a.body.more_available).to.equal(true);
    const b = await server.request('GET', `/api/events?type=page&since=${a.body.next_cursor}&limit=10`, { token: agent });
    expect(b.status).to.equal(200);
    expect(b.body.events.map((e: { data: { i: number } }) => e.data.i)).to.deep.equal([2, 3, 4]);
    expect(b.body.more_available).to.equal(false);
    const c = await server.request('GET', `/api/events?since=${first}&limit=1`, { token: agent });
    expect(c.body.events[0].data.i).to.equal(1);
  });

  it('delivers 300 concurrent publishes exactly once, in order, to a cursor loop with limit 7', async () => {
    const seen: string[] = [];
    const reader = (async () => {
      let cursor = 'now';
      for (let calls = 0; seen.length < 300 && calls < 400; calls++) {
        const r = await wait('burst', `since=${cursor}&limit=7&timeout=5000`);
        expect(r.status).to.equal(200);
        expect(r.body.events.length).to.be.at.most(7);
        seen.push(...r.body.events.map((e: { event_id: string }) => e.event_id));
        cursor = r.body.next_cursor;
      }
    })();
    await until(async () => (await server.request('GET', '/status', { token: server.adminToken })).body.events.active_subscriptions >= 1);
    const published = await Promise.all(
      Array.from({ length: 300 }, async (_, n) => {
        const res = await publish('burst', { data: { n } });
        expect(res.status).to.equal(202);
        return res.body.event_id as string;
      }),
    );
    await reader;
    expect(seen).to.have.length(300);
    expect(new Set(seen).size).to.equal(300);
    expect(seen).to.deep.equal([...published].sort());
  });

  it('answers a foreign cursor with 410 EVT_003 and oldest_cursor, a malformed one with 400', async () => {
    const foreign = await wait('x', 'timeout=0&since=evt_zzzz0000_000000000001');
    expect(foreign.status).to.equal(410);
    expect(foreign.body).to.include({ code: 'EVT_003', error: 'cursor_expired' });
    expect(foreign.body.details.oldest_cursor).to.match(CURSOR);
    const retry = await wait('x', `timeout=0&since=${foreign.body.details.oldest_cursor}`);
    expect(retry.status).to.equal(200);
    expect((await wait('x', 'timeout=0&since=yesterday')).body.code).to.equal('EVT_002');
  });

  it('validates input: bad type 400, body event_type must equal the path, unknown fields rejected, GET on a publish path 405', async () => {
    expect((await publish('bad%20type')).status).to.equal(400);
    const mismatch = await publish('alpha', { event_type: 'beta' });
    expect(mismatch.status).to.equal(400);
    expect(mismatch.body.code).to.equal('EVT_002');
    const extra = await publish('alpha', { colour: 'red' });
    expect(extra.status).to.equal(400);
    expect(extra.body.code).to.equal('REQ_001');
    expect((await publish('alpha', { event_type: 'alpha' })).status).to.equal(202);
    const ttl = await publish('alpha', { ttl_seconds: 90_000 });
    expect(ttl.body.details.issues[0].path).to.equal('body.ttl_seconds');
    const get = await server.request('GET', '/api/events/alpha', { token: agent });
    expect(get.status).to.equal(405);
    expect(get.headers.allow).to.equal('POST');
    expect((await wait('x', 'timeout=0&limit=5000')).status).to.equal(400);
  });

  it('enforces permissions and scoping (spec §2)', async () => {
    const docs = await server.tokenFor({ agent_type: 'documentation-writer', sub: 'doc-1' });
    const denied = await publish('x', {}, docs);
    expect(denied.status).to.equal(403);
    expect(denied.body.code).to.equal('AUTH_003');
    expect((await wait('x', 'timeout=0', docs)).status).to.equal(200);
    const noSubscribe = await server.tokenFor({ agent_type: 'python-specialist', permissions: ['publish_events'] });
    expect((await wait('x', 'timeout=0', noSubscribe)).status).to.equal(403);
    expect((await server.request('GET', '/api/events', { token: noSubscribe })).status).to.equal(403);
    expect((await publish('x', { publisher: 'someone-else' })).status).to.equal(403);
    expect((await publish('x', { publisher: 'py-1' })).status).to.equal(202);
    const asOther = await publish('as_other', { publisher: 'ci-bot' }, server.adminToken);
    expect(asOther.status).to.equal(202);
    const listed = await server.request('GET', '/api/events?type=as_other', { token: server.adminToken });
    expect(listed.body.events.map((e: { publisher: string }) => e.publisher)).to.deep.equal(['ci-bot']);
    expect((await server.request('GET', '/api/events', {})).status).to.equal(401);

    const scoped = await server.tokenFor({ agent_type: 'python-specialist', sub: 'py-42', issue_id: '42' });
    expect((await publish('issue_note', { data: { issue_id: '43' } }, scoped)).status).to.equal(403);
    expect((await publish('issue_note', { data: { issue_id: '42' } }, scoped)).status).to.equal(202);
    await publish('issue_note', { data: { issue_id: '43' } });
    await publish('issue_note', { data: { note: 'no issue' } });
    const visible = await wait('issue_note', 'timeout=0', scoped);
    expect(visible.body.events.map((e: { data: Record<string, string> }) => e.data.issue_id ?? e.data.note)).to.deep.equal(['42', 'no issue']);
    const all = await wait('issue_note', 'timeout=0');
    expect(all.body.events).to.have.length(3);
  });

  it('frees a waiter when its client disconnects', async () => {
    const before = (await server.request('GET', '/status', { token: server.adminToken })).body.events.active_subscriptions as number;
    const url = new URL(server.url);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: '/api/events/wait/gone?since=now&timeout=60000',
      headers: { authorization: `Bearer ${agent}` },
      agent: false,
    });
    req.on('error', () => undefined);
    req.end();
    await until(async () => (await server.request('GET', '/status', { token: server.adminToken })).body.events.active_subscriptions === before + 1);
    req.destroy();
    await until(async () => (await server.request('GET', '/status', { token: server.adminToken })).body.events.active_subscriptions === before);
  });

  it('reports real counters in /status and the bus in /health', async () => {
    const status = await server.request('GET', '/status', { token: server.adminToken });
    expect(Object.keys(status.body.events).sort()).to.deep.equal([
      'active_subscriptions',
      'avg_delivery_time_ms',
      'dead_letter_queue_size',
      'queue_depth',
      'total_delivered',
      'total_published',
    ]);
    expect(status.body.events.total_published).to.be.above(300);
    expect(status.body.events.total_delivered).to.be.above(300);
    expect(status.body.events.avg_delivery_time_ms).to.be.above(0);
    const health = await server.request('GET', '/health');
    expect(health.body.checks.event_bus).to.equal('ok');
    expect(health.body.checks.event_queue_size).to.equal(status.body.events.queue_depth);
  });
});

describe('events over HTTP: caps, dead letters, restart and shutdown', () => {
  let server: TestServer;
  let agent: string;
  before(async () => {
    server = await startTestServer({ config: { events: { buffer_size: 10, dead_letter_size: 5, max_waits_per_token: 2, max_waits_total: 4 } } });
    agent = await server.tokenFor({ agent_type: 'python-specialist', sub: 'py-1' });
  });
  after(() => server.stop());

  const publish = (type: string, data: Record<string, unknown> = {}, token = agent) => server.request('POST', `/api/events/${type}`, { token, body: { data } });

  it('answers waits beyond the per-token and total caps with 429 RATE_001 at once', async () => {
    const held = [
      server.request('GET', '/api/events/wait/cap?since=now&timeout=3000', { token: agent }),
      server.request('GET', '/api/events/wait/cap?since=now&timeout=3000', { token: agent }),
    ];
    await until(async () => (await server.request('GET', '/status', { token: server.adminToken })).body.events.active_subscriptions === 2);
    const started = Date.now();
    const third = await server.request('GET', '/api/events/wait/cap?since=now&timeout=3000', { token: agent });
    expect(Date.now() - started).to.be.below(1000);
    expect(third.status).to.equal(429);
    expect(third.body).to.include({ code: 'RATE_001' });
    expect(third.body.details).to.include({ limit: 2, retry_after_seconds: 1 });
    expect(third.headers['retry-after']).to.equal('1');
    const other = await server.tokenFor({ agent_type: 'python-specialist', sub: 'py-2' });
    held.push(server.request('GET', '/api/events/wait/cap?since=now&timeout=3000', { token: other }));
    held.push(server.request('GET', '/api/events/wait/cap?since=now&timeout=3000', { token: other }));
    await until(async () => (await server.request('GET', '/status', { token: server.adminToken })).body.events.active_subscriptions === 4);
    const third2 = await server.tokenFor({ agent_type: 'python-specialist', sub: 'py-3' });
    expect((await server.request('GET', '/api/events/wait/cap?since=now&timeout=3000', { token: third2 })).status).to.equal(429);
    await publish('cap');
    for (const r of await Promise.all(held)) expect(r.body.events).to.have.length(1);
  });

  it('lists, redrives and purges dead letters with the right permissions', async () => {
    for (let i = 0; i < 12; i++) await publish('overflow', { i });
    const list = await server.request('GET', '/api/events/dead-letter', { token: agent });
    expect(list.status).to.equal(200);
    const letters = list.body.dead_letters as Array<{ event_id: string; reason: string; data: { i: number } }>;
    expect(letters.filter((d) => d.reason === 'evicted').map((d) => d.data.i)).to.include.members([0, 1]);
    const zero = letters.find((d) => d.data.i === 0)!;
    const stranger = await server.tokenFor({ agent_type: 'python-specialist', sub: 'py-9' });
    expect((await server.request('POST', `/api/events/dead-letter/${zero.event_id}/redrive`, { token: stranger })).status).to.equal(403);
    const redrive = await server.request('POST', `/api/events/dead-letter/${zero.event_id}/redrive`, { token: agent });
    expect(redrive.status).to.equal(202);
    expect(redrive.body.redriven_from).to.equal(zero.event_id);
    expect(redrive.body.event_id > zero.event_id).to.equal(true);
    expect((await server.request('POST', `/api/events/dead-letter/${zero.event_id}/redrive`, { token: agent })).status).to.equal(404);
    expect((await server.request('POST', '/api/events/dead-letter/..%2F..%2Fetc/redrive', { token: agent })).status).to.equal(400);
    const denied = await server.request('DELETE', '/api/events/dead-letter', { token: agent });
    expect(denied.status).to.equal(403);
    const purged = await server.request('DELETE', '/api/events/dead-letter', { token: server.adminToken });
    expect(purged.status).to.equal(200);
    expect(purged.body.purged).to.be.above(0);
    expect((await server.request('GET', '/api/events/dead-letter', { token: agent })).body.total).to.equal(0);
  });

  it('keeps events and cursors valid across a restart, and ids keep increasing', async () => {
    const a = await publish('durable', { n: 1 });
    const b = await publish('durable', { n: 2 });
    await server.restart();
    agent = await server.tokenFor({ agent_type: 'python-specialist', sub: 'py-1' });
    const after = await server.request('GET', `/api/events/wait/durable?since=${a.body.event_id}&timeout=0`, { token: agent });
    expect(after.status).to.equal(200);
    expect(after.body.events.map((e: { event_id: string }) => e.event_id)).to.deep.equal([b.body.event_id]);
    const c = await publish('durable', { n: 3 });
    expect(c.body.event_id > b.body.event_id).to.equal(true);
  });

  it('answers every pending wait at once on shutdown', async () => {
    const waits = [1, 2, 3].map(async (i) => {
      const token = await server.tokenFor({ agent_type: 'python-specialist', sub: `w-${i}` });
      return server.request('GET', '/api/events/wait/shutdown?since=now&timeout=60000', { token });
    });
    await until(async () => (await server.request('GET', '/status', { token: server.adminToken })).body.events.active_subscriptions === 3);
    const started = Date.now();
    await server.handle.close();
    const answers = await Promise.all(waits);
    expect(Date.now() - started).to.be.below(2000);
    for (const r of answers) {
      expect(r.status).to.equal(200);
      expect(r.body.timeout).to.equal(true);
      expect(r.body.next_cursor).to.match(CURSOR);
    }
    await server.restart();
  });
});

/** Poll `check` every 10 ms until true (fails after 5 s). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached within 5 s');
}
