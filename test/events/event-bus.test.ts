import { expect } from 'chai';
import type { EmbeddedEventBus } from '../../src/events/embedded-event-bus.js';
import type { BusEvent } from '../../src/events/event-bus.js';
import { BusFixture, rejection, seqOf } from './bus-fixture.js';

describe('events: embedded bus semantics', () => {
  const fx = new BusFixture();
  let bus: EmbeddedEventBus;

  beforeEach(async () => {
    bus = await fx.bus(await fx.tempDir(), { fsync: 'interval' });
  });
  afterEach(async () => {
    await fx.close(bus);
  });
  after(() => fx.cleanup());

  const pub = (type: string, data: Record<string, unknown> = {}, extra: { topic?: string; publisher?: string } = {}) =>
    bus.publish({ event_type: type, publisher: extra.publisher ?? 'agent-1', data, ...(extra.topic ? { topic: extra.topic } : {}) });

  it('orders ids in publish order and fills in the wire fields', async () => {
    const a = await pub('build', { n: 1 });
    const b = await pub('build', { n: 2 });
    expect(seqOf(b.event.event_id)).to.equal(seqOf(a.event.event_id) + 1);
    expect(a.event).to.deep.include({
      event_type: 'build',
      publisher: 'agent-1',
      topic: 'coordination',
      data: { n: 1 },
      correlation_id: null,
      ttl_seconds: 86_400,
    });
    expect(a.event.event_id).to.match(/^evt_[0-9a-z]+_\d{12}$/);
    expect(Date.parse(a.event.timestamp)).to.be.closeTo(Date.now(), 5000);
    const page = await bus.list({});
    expect(page.events.map((e) => e.data.n)).to.deep.equal([1, 2]);
    expect(page.next_cursor).to.equal(b.event.event_id);
  });

  it('replays buffered matches at once when there is no since', async () => {
    await pub('deploy', { v: 1 });
    const started = Date.now();
    const r = await bus.wait({ eventType: 'deploy', subscriberId: 's', timeoutMs: 5000 });
    expect(Date.now() - started).to.be.below(1000);
    expect(r.events.map((e) => e.data.v)).to.deep.equal([1]);
    expect(r.timeout).to.equal(undefined);
  });

  it('with since=now only returns events published after the wait started', async () => {
    await pub('deploy', { v: 'old' });
    const waiting = bus.wait({ eventType: 'deploy', subscriberId: 's', since: 'now', timeoutMs: 5000 });
    await pub('deploy', { v: 'new' });
    const r = await waiting;
    expect(r.events.map((e) => e.data.v)).to.deep.equal(['new']);
  });

  it('answers a timeout with a string next_cursor that loses nothing afterwards', async () => {
    await pub('other');
    const r = await bus.wait({ eventType: 'deploy', subscriberId: 's', since: 'now', timeoutMs: 30 });
    expect(r).to.deep.include({ events: [], more_available: false, timeout: true });
    expect(r.next_cursor).to.be.a('string').and.match(/^evt_/);
    await pub('deploy', { v: 2 });
    const next = await bus.wait({ eventType: 'deploy', subscriberId: 's', since: r.next_cursor, timeoutMs: 30 });
    expect(next.events.map((e) => e.data.v)).to.deep.equal([2]);
    // Also on an empty bus, and with timeout 0.
    const empty = await fx.bus(await fx.tempDir());
    const z = await empty.wait({ eventType: '*', subscriberId: 's', timeoutMs: 0 });
    expect(z.next_cursor)
      .to.be.a('string')
      .and.match(/_000000000000$/);
    await fx.close(empty);
  });

  it('filters on data fields, nested paths and top-level fields; all conditions must match', async () => {
    await pub('done', { issue_id: '7', status: 'ok', meta: { attempt: 2 } });
    await pub('done', { issue_id: '8', status: 'ok' }, { publisher: 'qa' });
    await pub('done', { issue_id: '7', status: 'failed' });
    const ids = async (filter: string) =>
      (await bus.list({ eventType: 'done', filter })).events.map((e) => `${String(e.data.issue_id)}/${String(e.data.status)}`);
    expect(await ids('issue_id:7')).to.deep.equal(['7/ok', '7/failed']);
    expect(await ids('issue_id:7,status:ok')).to.deep.equal(['7/ok']);
    expect(await ids('meta.attempt:2')).to.deep.equal(['7/ok']);
    expect(await ids('publisher:qa')).to.deep.equal(['8/ok']);
    expect(await ids('constructor:x')).to.deep.equal([]);
    const w = await bus.wait({ eventType: 'done', subscriberId: 's', filter: 'status:failed', timeoutMs: 10 });
    expect(w.events).to.have.length(1);
  });

  for (const bad of ['nocolon', ':x', 'a:', 'a:b,,c:d', 'a b:c', 'x:1,'.repeat(20)]) {
    it(`rejects the filter '${bad.slice(0, 20)}' with 400 EVT_002`, async () => {
      const err = await rejection(bus.wait({ eventType: 'x', subscriberId: 's', filter: bad, timeoutMs: 10 }));
      expect(err).to.include({ status: 400, code: 'EVT_002' });
      expect((await rejection(bus.list({ filter: bad }))).code).to.equal('EVT_002');
    });
  }

  it('rejects a malformed cursor with 400 EVT_002 and a bad event type with EVT_002', async () => {
    expect(await rejection(bus.list({ since: 'garbage' }))).to.include({ status: 400, code: 'EVT_002' });
    expect(await rejection(pub('*'))).to.include({ code: 'EVT_002' });
    expect(await rejection(pub('../x'))).to.include({ code: 'EVT_002' });
    expect(await rejection(bus.publish({ event_type: 'x', publisher: 'p', ttl_seconds: 0 }))).to.include({ code: 'EVT_002' });
    expect(await rejection(bus.publish({ event_type: 'x', publisher: 'p', data: [] as unknown as Record<string, unknown> }))).to.include({ code: 'EVT_002' });
  });

  it('selects by topic, and * matches every type', async () => {
    await pub('a', {}, { topic: 'implementation' });
    await pub('b', {}, { topic: 'coordination' });
    await pub('c', {}, { topic: 'implementation' });
    expect((await bus.list({ eventType: '*', topic: 'implementation' })).events.map((e) => e.event_type)).to.deep.equal(['a', 'c']);
    expect((await bus.list({ eventType: '*' })).events.map((e) => e.event_type)).to.deep.equal(['a', 'b', 'c']);
    const star = bus.wait({ eventType: '*', subscriberId: 's', since: 'now', topic: 'implementation', timeoutMs: 5000 });
    await pub('d', {}, { topic: 'coordination' });
    await pub('e', {}, { topic: 'implementation' });
    expect((await star).events.map((e) => e.event_type)).to.deep.equal(['e']);
  });

  it('pages with limit and more_available', async () => {
    for (let i = 0; i < 5; i++) await pub('p', { i });
    const first = await bus.wait({ eventType: 'p', subscriberId: 's', limit: 2, timeoutMs: 10 });
    expect(first.events.map((e) => e.data.i)).to.deep.equal([0, 1]);
    expect(first.more_available).to.equal(true);
    expect(first.next_cursor).to.equal(first.events[1]!.event_id);
    const second = await bus.list({ eventType: 'p', since: first.next_cursor, limit: 3 });
    expect(second.events.map((e) => e.data.i)).to.deep.equal([2, 3, 4]);
    expect(second.more_available).to.equal(false);
  });

  it('reads 300 concurrent publishes exactly once, in order, with a cursor loop of limit 7', async () => {
    const seen: BusEvent[] = [];
    const reader = (async () => {
      let cursor = 'now';
      let calls = 0;
      while (seen.length < 300 && calls++ < 1000) {
        const r = await bus.wait({ eventType: 'load', subscriberId: 'reader', since: cursor, limit: 7, timeoutMs: 2000 });
        expect(r.next_cursor).to.be.a('string');
        expect(r.events.length).to.be.at.most(7);
        seen.push(...r.events);
        cursor = r.next_cursor;
      }
    })();
    const published: string[] = [];
    await Promise.all(
      Array.from({ length: 300 }, async (_, n) => {
        if (n % 3 === 0) await new Promise((r) => setImmediate(r));
        published.push((await pub('load', { n })).event.event_id);
        if (n % 10 === 0) await pub('noise', { n });
      }),
    );
    await reader;
    const ids = seen.map((e) => e.event_id);
    expect(ids).to.have.length(300);
    expect(new Set(ids).size).to.equal(300);
    expect(ids).to.deep.equal([...published].sort());
    expect(seen.map((e) => e.data.n).sort((a, b) => Number(a) - Number(b))).to.deep.equal(Array.from({ length: 300 }, (_, i) => i));
  });

  it('wakes every matching waiter with one publish and reports who was notified', async () => {
    const waits = Array.from({ length: 40 }, (_, i) =>
      bus.wait({ eventType: i % 2 ? 'go' : '*', subscriberId: `agent-${i % 4}`, since: 'now', timeoutMs: 5000 }),
    );
    const loser = bus.wait({ eventType: 'stop', subscriberId: 'x', since: 'now', timeoutMs: 200 });
    expect(bus.stats().active_subscriptions).to.equal(41);
    const res = await pub('go', { now: true });
    expect(res.subscriber_count).to.equal(40);
    expect([...res.subscribers_notified].sort()).to.deep.equal(['agent-0', 'agent-1', 'agent-2', 'agent-3']);
    for (const r of await Promise.all(waits)) expect(r.events.map((e) => e.event_id)).to.deep.equal([res.event.event_id]);
    expect((await loser).timeout).to.equal(true);
    const s = bus.stats();
    expect(s.total_delivered).to.equal(40);
    expect(s.active_subscriptions).to.equal(0);
    expect(s.avg_delivery_time_ms).to.be.above(0);
  });

  it('caps concurrent waits per key and in total with 429 RATE_001', async () => {
    const capped = await fx.bus(await fx.tempDir(), { max_waits_per_token: 2, max_waits_total: 3 });
    const ctl = new AbortController();
    const w = (key: string, signal?: AbortSignal) =>
      capped.wait({ eventType: 'x', subscriberId: key, since: 'now', timeoutMs: 5000, ...(signal ? { signal } : {}) });
    const held = [w('a', ctl.signal), w('a')];
    const tooMany = await rejection(w('a'));
    expect(tooMany).to.include({ status: 429, code: 'RATE_001' });
    expect(tooMany.details).to.include({ limit: 2, scope: 'token' });
    held.push(w('b'));
    expect(await rejection(w('c'))).to.include({ status: 429, code: 'RATE_001' });
    ctl.abort();
    expect((await held[0]!).timeout).to.equal(true);
    held.push(w('c'));
    expect(capped.stats().active_subscriptions).to.equal(3);
    await fx.close(capped);
    for (const r of await Promise.all(held)) expect(r.timeout).to.equal(true);
  });

  it('frees a waiter when its AbortSignal fires', async () => {
    const ctl = new AbortController();
    const waiting = bus.wait({ eventType: 'x', subscriberId: 's', since: 'now', timeoutMs: 60_000, signal: ctl.signal });
    expect(bus.stats().active_subscriptions).to.equal(1);
    ctl.abort();
    const r = await waiting;
    expect(r.timeout).to.equal(true);
    expect(bus.stats().active_subscriptions).to.equal(0);
    const res = await pub('x');
    expect(res.subscriber_count).to.equal(0);
  });

  it('clamps timeouts to the configured maximum', async () => {
    const short = await fx.bus(await fx.tempDir(), { max_wait_timeout_ms: 50 });
    const started = Date.now();
    const r = await short.wait({ eventType: 'x', subscriberId: 's', since: 'now', timeoutMs: 300_000 });
    expect(r.timeout).to.equal(true);
    expect(Date.now() - started).to.be.below(1000);
    await fx.close(short);
  });

  it('close() answers pending waiters at once with a valid cursor, then refuses work with EVT_001', async () => {
    const mine = await fx.bus(await fx.tempDir());
    await mine.publish({ event_type: 'x', publisher: 'p' });
    const waits = Array.from({ length: 5 }, () => mine.wait({ eventType: 'y', subscriberId: 's', since: 'now', timeoutMs: 60_000 }));
    const started = Date.now();
    await fx.close(mine);
    const results = await Promise.all(waits);
    expect(Date.now() - started).to.be.below(1000);
    for (const r of results) {
      expect(r.timeout).to.equal(true);
      expect(seqOf(r.next_cursor)).to.equal(1);
    }
    expect(await rejection(mine.publish({ event_type: 'x', publisher: 'p' }))).to.include({ status: 503, code: 'EVT_001' });
    expect(mine.health()).to.equal('down');
  });

  it('notifies in-process listeners and reports stats with exactly the /status fields', async () => {
    const seen: string[] = [];
    const off = bus.onPublished((e) => seen.push(e.event_type));
    await pub('one');
    off();
    await pub('two');
    expect(seen).to.deep.equal(['one']);
    expect(Object.keys(bus.stats()).sort()).to.deep.equal([
      'active_subscriptions',
      'avg_delivery_time_ms',
      'dead_letter_queue_size',
      'queue_depth',
      'total_delivered',
      'total_published',
    ]);
    expect(bus.stats()).to.include({ total_published: 2, queue_depth: 2, dead_letter_queue_size: 0 });
    expect(bus.health()).to.equal('ok');
  });
});
