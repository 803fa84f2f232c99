import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { configFor } from '../../src/config/load-config.js';
import type { EventBus } from '../../src/events/event-bus.js';
import { RedisEventBus } from '../../src/events/redis-event-bus.js';
import { RedisServer } from '../helpers/redis-server.js';
import { openSse } from '../helpers/sse-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const config = configFor({ project_root: '/nonexistent', storage_path: '/nonexistent' });

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('events on one Redis shared by two nodes', () => {
  let redis: RedisServer;
  const buses: EventBus[] = [];
  before(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
  });
  after(() => redis.stop());

  const pair = async (): Promise<[EventBus, EventBus]> => {
    const projectId = `p-${randomUUID()}`;
    const a = await RedisEventBus.open({ events: config.events, url: redis.url, projectId });
    const b = await RedisEventBus.open({ events: config.events, url: redis.url, projectId });
    buses.push(a, b);
    return [a, b];
  };

  it('wakes a waiter on one node with a publish on the other, and the cursor works on both', async () => {
    const [a, b] = await pair();
    const waiting = b.wait({ eventType: 'build_done', subscriberId: 'qa', since: 'now', timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    const published = await a.publish({ event_type: 'build_done', publisher: 'ci', data: { ok: true } });
    const woke = await waiting;
    expect(Date.now() - started).to.be.below(1000);
    expect(woke.events.map((e) => e.event_id)).to.deep.equal([published.event.event_id]);
    expect(woke.events[0]!.data).to.deep.equal({ ok: true });
    const next = await b.publish({ event_type: 'build_done', publisher: 'ci' });
    const fromA = await a.wait({ eventType: 'build_done', subscriberId: 'qa', since: woke.next_cursor, timeoutMs: 2000 });
    expect(fromA.events.map((e) => e.event_id)).to.deep.equal([next.event.event_id]);
  });

  it('gives 300 concurrent publishes spread over both nodes one order, read the same from either', async () => {
    const [a, b] = await pair();
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).publish({ event_type: 'tick', publisher: `n${i % 2}`, data: { i } })),
    );
    const ids = new Set(results.map((r) => r.event.event_id));
    expect(ids.size).to.equal(300);
    const all = async (bus: EventBus): Promise<string[]> => {
      const out: string[] = [];
      let since: string | undefined;
      for (;;) {
        const page = await bus.list({ limit: 1000, ...(since ? { since } : {}) });
        out.push(...page.events.map((e) => e.event_id));
        if (!page.more_available) return out;
        since = page.next_cursor;
      }
    };
    await until(async () => (await all(a)).length === 300 && (await all(b)).length === 300);
    const fromA = await all(a);
    const fromB = await all(b);
    expect(fromA).to.deep.equal(fromB);
    expect(new Set(fromA)).to.deep.equal(ids);
    // Contiguous sequence numbers: no gap, no repeat.
    const seqs = fromA.map((id) => Number(id.split('_').pop()));
    expect(seqs).to.deep.equal(Array.from({ length: 300 }, (_, i) => seqs[0]! + i));
  });

  it('delivers each event once, in one order, to waiters on both nodes', async () => {
    const [a, b] = await pair();
    const collect = async (bus: EventBus, n: number): Promise<string[]> => {
      const seen: string[] = [];
      let since = 'now';
      while (seen.length < n) {
        const page = await bus.wait({ eventType: 'step', subscriberId: 's', since, timeoutMs: 3000, limit: 7 });
        seen.push(...page.events.map((e) => e.event_id));
        since = page.next_cursor;
        if (page.timeout) break;
      }
      return seen;
    };
    const onA = collect(a, 60);
    const onB = collect(b, 60);
    await new Promise((r) => setTimeout(r, 30));
    const published: string[] = [];
    for (let i = 0; i < 60; i++) published.push((await (i % 3 ? a : b).publish({ event_type: 'step', publisher: 'p' })).event.event_id);
    expect(await onA).to.deep.equal(published);
    expect(await onB).to.deep.equal(published);
  });
});

describe('events on Redis: connections and dead letters across nodes', () => {
  let redis: RedisServer;
  const buses: EventBus[] = [];
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const bus of buses.splice(0)) await bus.close();
    await redis.stop();
  });

  it('serves 300 blocked waits over two connections, not one per waiter', async () => {
    const projectId = `conn-${randomUUID()}`;
    const bus = await RedisEventBus.open({ events: config.events, url: redis.url, projectId });
    buses.push(bus);
    const waits = Array.from({ length: 300 }, (_, i) => bus.wait({ eventType: 'go', subscriberId: `w${i}`, since: 'now', timeoutMs: 5000 }));
    await until(() => bus.stats().active_subscriptions === 300);
    const { createClient } = await import('redis');
    const probe = createClient({ url: redis.url });
    await probe.connect();
    const list = await probe.clientList();
    await probe.quit();
    expect(
      list
        .filter((c) => c.name.startsWith(`cco-events-${projectId}`))
        .map((c) => c.name)
        .sort(),
    ).to.deep.equal([`cco-events-${projectId}`, `cco-events-${projectId}-tail`]);
    await bus.publish({ event_type: 'go', publisher: 'p' });
    expect((await Promise.all(waits)).every((r) => r.events.length === 1)).to.equal(true);
  });

  it('shows a dead letter made on one node on the other, and a purge on either empties both', async () => {
    const small = configFor({ project_root: '/nonexistent', storage_path: '/nonexistent', events: { buffer_size: 10 } }).events;
    const projectId = `dlq-${randomUUID()}`;
    const a = await RedisEventBus.open({ events: small, url: redis.url, projectId });
    const b = await RedisEventBus.open({ events: small, url: redis.url, projectId });
    buses.push(a, b);
    const first = await a.publish({ event_type: 'lost', publisher: 'p' });
    for (let i = 0; i < 10; i++) await a.publish({ event_type: 'filler', publisher: 'p' });
    expect((await a.listDeadLetters()).dead_letters.map((d) => d.event_id)).to.deep.equal([first.event.event_id]);
    await until(async () => (await b.listDeadLetters()).total === 1, 3000);
    expect((await b.getDeadLetter(first.event.event_id))?.reason).to.equal('evicted');
    expect(await b.purgeDeadLetters()).to.equal(1);
    await until(async () => (await a.listDeadLetters()).total === 0, 3000);
  });
});

describe('two sidecars on one Redis (separate storage dirs)', () => {
  let redis: RedisServer;
  let a: TestServer;
  let b: TestServer;
  const password = `pw-${randomUUID()}`;
  before(async () => {
    redis = await RedisServer.start({ password });
    const shared = { project_id: 'cluster-test', jwt_secret: 'x'.repeat(48), redis: { url: redis.url } };
    a = await startTestServer({ config: shared });
    b = await startTestServer({ config: shared });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  it('publishes over HTTP on one and wakes a long-poll on the other', async () => {
    expect(a.config.events.backend).to.equal('redis');
    const token = await a.tokenFor();
    const waiting = b.request('GET', '/api/events/wait/deploy_done?since=now&timeout=5000', { token });
    await new Promise((r) => setTimeout(r, 50));
    const pub = await a.request('POST', '/api/events/deploy_done', { token, body: { data: { env: 'staging' } } });
    expect(pub.status, pub.text).to.equal(202);
    const woke = await waiting;
    expect(woke.status).to.equal(200);
    expect(woke.body.events.map((e: { event_id: string }) => e.event_id)).to.deep.equal([pub.body.event_id]);
  });

  it('streams (SSE) on one node what is published on the other, and resumes there with Last-Event-ID', async () => {
    const token = await b.tokenFor({ agent_type: 'test-engineer', sub: 'qa-sse' });
    const c = await openSse(b.url, '/api/events/stream?since=now&type=sse_x', { token });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push((await a.request('POST', '/api/events/sse_x', { token: a.adminToken, body: { data: { i } } })).body.event_id as string);
      await c.waitFor((f) => f.length === 3);
      expect(c.frames.map((f) => f.id)).to.deep.equal(ids);
    } finally {
      c.close();
    }
    const later = (await b.request('POST', '/api/events/sse_x', { token: b.adminToken, body: { data: {} } })).body.event_id as string;
    const resumed = await openSse(a.url, '/api/events/stream?type=sse_x', { token, headers: { 'Last-Event-ID': c.frames[2]!.id! } });
    try {
      await resumed.waitFor((f) => f.length === 1);
      expect(resumed.frames.map((f) => f.id)).to.deep.equal([later]);
    } finally {
      resumed.close();
    }
  });

  it('never shows the Redis password in /health, /status or the logs of a failed start', async () => {
    const health = await a.request('GET', '/health');
    expect(health.status).to.equal(200);
    expect(health.body.checks.event_bus).to.equal('ok');
    expect(health.body.warnings.join(' ')).to.match(/appendonly is off/);
    const status = await a.request('GET', '/status', { token: a.adminToken });
    expect(status.status).to.equal(200);
    for (const text of [health.text, status.text]) expect(text).not.to.include(password);
    let failure: Error | undefined;
    try {
      await startTestServer({ config: { redis: { url: redis.url.replace(password, `${password}-wrong`) } } });
    } catch (err) {
      failure = err as Error;
    }
    expect(failure, 'a wrong password fails the start').to.be.instanceOf(Error);
    expect(failure!.message).not.to.include(password);
    expect(failure!.message).to.match(/redis/i);
  });
});
