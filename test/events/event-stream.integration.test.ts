import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { openSse, type SseConnection, type SseFrame } from '../helpers/sse-client.js';
import { SidecarClient, SidecarError } from '../../src/client/sidecar-client.js';
import { EventsClient } from '../../src/client/events-client.js';

const dataOf = (f: SseFrame): Record<string, any> => JSON.parse(f.data) as Record<string, any>;

describe('GET /api/events/stream (Server-Sent Events)', () => {
  let server: TestServer;
  let reader: string;
  const open: SseConnection[] = [];
  before(async () => {
    server = await startTestServer({ config: { events: { stream_heartbeat_ms: 150 } } });
    reader = await server.tokenFor({ agent_type: 'test-engineer', sub: 'qa-sse' });
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(() => server.stop());

  const publish = async (type: string, data: Record<string, unknown> = {}, topic?: string): Promise<string> => {
    const res = await server.request('POST', `/api/events/${type}`, { token: server.adminToken, body: { data, ...(topic ? { topic } : {}) } });
    expect(res.status).to.equal(202);
    return res.body.event_id as string;
  };
  const stream = async (query: string, options: { token?: string; headers?: Record<string, string> } = {}): Promise<SseConnection> => {
    const c = await openSse(server.url, `/api/events/stream${query}`, { token: reader, ...options });
    open.push(c);
    return c;
  };

  it('writes id = event id, event = type and data = the event JSON, in publish order', async () => {
    const c = await stream('?since=now&type=*');
    expect(c.status).to.equal(200);
    expect(c.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
    expect(c.headers['x-content-type-options']).to.equal('nosniff');
    expect(c.headers['x-request-id']).to.be.a('string');
    const ids = [await publish('sse_a', { n: 1 }), await publish('sse_b', { n: 2 }), await publish('sse_a', { n: 3 })];
    await c.waitFor((f) => f.length === 3);
    expect(c.frames.map((f) => f.id)).to.deep.equal(ids);
    expect(c.frames.map((f) => f.event)).to.deep.equal(['sse_a', 'sse_b', 'sse_a']);
    const first = dataOf(c.frames[0]!);
    expect(first).to.deep.include({ event_id: ids[0], event_type: 'sse_a', publisher: 'operator', topic: 'coordination', data: { n: 1 } });
    expect(Object.keys(first).sort()).to.deep.equal(['correlation_id', 'data', 'event_id', 'event_type', 'publisher', 'timestamp', 'topic', 'ttl_seconds']);
  });

  it('continues after Last-Event-ID exactly once and in order, and Last-Event-ID wins over since', async () => {
    const c1 = await stream('?since=now&type=resume_me');
    const ids = [await publish('resume_me', { n: 1 }), await publish('resume_me', { n: 2 })];
    await c1.waitFor((f) => f.length === 2);
    c1.close();
    // Published while no client is connected: the reconnect must deliver these, nothing else.
    const later = [await publish('resume_me', { n: 3 }), await publish('resume_me', { n: 4 })];
    const c2 = await stream('?since=now&type=resume_me', { headers: { 'Last-Event-ID': c1.frames[1]!.id! } });
    await c2.waitFor((f) => f.length === 2);
    const fresh = await publish('resume_me', { n: 5 });
    await c2.waitFor((f) => f.length === 3);
    expect(c2.frames.map((f) => f.id)).to.deep.equal([...later, fresh]);
    expect([...c1.frames, ...c2.frames].map((f) => dataOf(f).data.n)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(ids).to.deep.equal(c1.frames.map((f) => f.id));
  });

  it('replays buffered matches without since, only later ones with since, and applies type, topic and filter', async () => {
    const before = await publish('replayed', { issue_id: 'R-1', kind: 'x' }, 'implementation');
    await publish('replayed', { issue_id: 'R-2', kind: 'x' }, 'implementation');
    await publish('replayed', { issue_id: 'R-1', kind: 'x' }, 'coordination');
    const all = await stream('?type=replayed&topic=implementation&filter=issue_id:R-1');
    await all.waitFor((f) => f.length === 1);
    expect(all.frames[0]!.id).to.equal(before);
    const after = await stream(`?type=replayed&since=${before}`);
    await after.waitFor((f) => f.length === 2);
    expect(after.frames.map((f) => dataOf(f).data.issue_id)).to.deep.equal(['R-2', 'R-1']);
    await new Promise((r) => setTimeout(r, 100));
    expect(all.frames).to.have.length(1);
  });

  it('sends a heartbeat comment while idle (configurable interval)', async () => {
    const c = await stream('?since=now&type=nothing_ever');
    await c.waitFor((_f, comments) => comments.filter((x) => x === 'heartbeat').length >= 2, 3000);
    expect(c.frames).to.deep.equal([]);
    expect(c.comments[0]).to.equal('stream open');
  });

  it('answers 410 EVT_003 as JSON for an expired or foreign cursor, 400 EVT_002 for a malformed one', async () => {
    const foreign = await stream('?since=evt_zzzz1234_000000000001');
    expect(foreign.status).to.equal(410);
    await foreign.ended;
    const body = JSON.parse(foreign.text()) as Record<string, any>;
    expect(body).to.include({ code: 'EVT_003', error: 'cursor_expired' });
    expect(body.details.oldest_cursor).to.match(/^evt_[0-9a-z]+_\d{12}$/);
    const viaHeader = await stream('', { headers: { 'Last-Event-ID': 'evt_zzzz1234_000000000001' } });
    expect(viaHeader.status).to.equal(410);
    const bad = await stream('?since=not-a-cursor');
    expect(bad.status).to.equal(400);
    await bad.ended;
    expect(JSON.parse(bad.text())).to.include({ code: 'EVT_002' });
    const badFilter = await stream('?filter=nocolon');
    expect(badFilter.status).to.equal(400);
  });

  it('ends the stream after ?timeout ms when asked for a bounded read', async () => {
    const c = await stream('?since=now&timeout=100');
    const started = Date.now();
    await c.ended;
    expect(Date.now() - started).to.be.below(1500);
    expect(c.comments.at(-1)).to.equal('timeout');
  });

  it('requires a token with subscribe_events', async () => {
    const anonymous = await stream('', { token: '' });
    expect(anonymous.status).to.equal(401);
    const docs = await server.tokenFor({ agent_type: 'doc-writer', permissions: ['read_results'] });
    const forbidden = await stream('', { token: docs });
    expect(forbidden.status).to.equal(403);
    await forbidden.ended;
    expect(JSON.parse(forbidden.text())).to.include({ code: 'AUTH_003' });
  });

  it('hides events about another issue from an issue-scoped token', async () => {
    const scoped = await server.tokenFor({ agent_type: 'test-engineer', sub: 'qa-scoped', issue_id: 'I-1' });
    const c = await stream('?since=now&type=scoped_evt', { token: scoped });
    await publish('scoped_evt', { issue_id: 'I-2' });
    const mine = await publish('scoped_evt', { issue_id: 'I-1' });
    const general = await publish('scoped_evt', {});
    await c.waitFor((f) => f.length === 2);
    expect(c.frames.map((f) => f.id)).to.deep.equal([mine, general]);
  });
});

describe('EventsClient.stream (the typed client over SSE)', () => {
  it('yields matching events in order, resumes after lastEventId, and throws the contract error of a refused stream', async () => {
    const server = await startTestServer();
    try {
      const token = await server.tokenFor({ agent_type: 'test-engineer', sub: 'qa-client' });
      const events = new EventsClient(new SidecarClient({ url: server.url, token }));
      const publish = async (n: number): Promise<string> =>
        (await server.request('POST', '/api/events/client_evt', { token: server.adminToken, body: { data: { n } } })).body.event_id as string;
      const ids = [await publish(1), await publish(2), await publish(3)];
      const seen: string[] = [];
      const controller = new AbortController();
      for await (const e of events.stream({ type: 'client_evt' }, controller.signal)) {
        seen.push(e.event_id);
        if (seen.length === 2) break;
      }
      expect(seen).to.deep.equal(ids.slice(0, 2));
      const rest: number[] = [];
      for await (const e of events.stream({ type: 'client_evt', lastEventId: seen[1]!, timeout: 300 })) rest.push(e.data.n as number);
      expect(rest).to.deep.equal([3]);
      let refused: unknown;
      try {
        for await (const _e of events.stream({ since: 'evt_zzzz1234_000000000001' })) break;
      } catch (err) {
        refused = err;
      }
      expect(refused).to.be.instanceOf(SidecarError);
      expect((refused as SidecarError).status).to.equal(410);
      expect((refused as SidecarError).body.code).to.equal('EVT_003');
      // A stream ended by the sidecar's shutdown throws its last frame's error (EVT_001).
      const ended = (async () => {
        for await (const _e of events.stream({ since: 'now' })) {
          /* none */
        }
      })().then(
        () => undefined,
        (err: unknown) => err,
      );
      await new Promise((r) => setTimeout(r, 200));
      await server.handle.close();
      const stopped = await ended;
      expect((stopped as SidecarError).body.code).to.equal('EVT_001');
      expect((stopped as SidecarError).status).to.equal(503);
    } finally {
      await server.stop();
    }
  });
});

describe('GET /api/events/stream: caps and shutdown', () => {
  it('counts open streams in the per-token wait cap (429 RATE_001 for the next stream and wait)', async () => {
    const server = await startTestServer({ config: { events: { max_waits_per_token: 2 } } });
    const token = await server.tokenFor({ agent_type: 'test-engineer', sub: 'qa-cap' });
    const conns: SseConnection[] = [];
    try {
      conns.push(await openSse(server.url, '/api/events/stream?since=now', { token }));
      conns.push(await openSse(server.url, '/api/events/stream?since=now', { token }));
      expect(conns.map((c) => c.status)).to.deep.equal([200, 200]);
      const third = await openSse(server.url, '/api/events/stream?since=now', { token });
      conns.push(third);
      expect(third.status).to.equal(429);
      await third.ended;
      expect(JSON.parse(third.text())).to.include({ code: 'RATE_001' });
      const wait = await server.request('GET', '/api/events/wait/*?since=now&timeout=100', { token });
      expect(wait.status).to.equal(429);
      conns[0]!.close();
      // The slot comes back once the server saw the client leave.
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await server.request('GET', '/api/events/wait/*?since=now&timeout=0', { token })).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).to.equal(200);
    } finally {
      for (const c of conns) c.close();
      await server.stop();
    }
  });

  it('ends open streams when the sidecar shuts down, without holding the shutdown', async () => {
    const server = await startTestServer();
    const token = await server.tokenFor({ agent_type: 'test-engineer', sub: 'qa-stop' });
    const conns = await Promise.all([1, 2, 3].map(() => openSse(server.url, '/api/events/stream?since=now', { token })));
    const started = Date.now();
    await server.stop();
    const elapsed = Date.now() - started;
    await Promise.all(conns.map((c) => c.ended));
    expect(elapsed).to.be.below(2000);
    for (const c of conns) expect(c.frames.at(-1)?.event).to.equal('stream_error');
    expect(JSON.parse(conns[0]!.frames.at(-1)!.data)).to.include({ code: 'EVT_001' });
  });
});
