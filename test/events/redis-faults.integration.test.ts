import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { configFor } from '../../src/config/load-config.js';
import { RedisEventBus } from '../../src/events/redis-event-bus.js';
import { expectContractError } from '../helpers/contract.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const seqOf = (id: string): number => Number(id.split('_').pop());

describe('events on Redis: a node killed with SIGKILL mid-publish', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(() => redis?.stop());

  it('loses nothing it acknowledged: another node reads every acknowledged event, and numbering continues', async () => {
    const projectId = `crash-${randomUUID()}`;
    const child = spawn(process.execPath, [fileURLToPath(new URL('./redis-crash-publisher.js', import.meta.url)), redis.url, projectId], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (let i = 0; i < 400 && out.split('\n').length < 300; i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    await exited;
    const acked = out.split('\n').filter((l) => /^evt_/.test(l));
    expect(acked.length).to.be.above(50);
    const events = configFor({ project_root: '/nonexistent', storage_path: '/nonexistent' }).events;
    const bus = await RedisEventBus.open({ events, url: redis.url, projectId });
    try {
      const kept: string[] = [];
      let cursor: string | undefined;
      for (let more = true; more;) {
        const page = await bus.list({ limit: 1000, ...(cursor ? { since: cursor } : {}) });
        kept.push(...page.events.map((e) => e.event_id));
        cursor = page.next_cursor;
        more = page.more_available;
      }
      const keptSet = new Set(kept);
      expect(acked.filter((id) => !keptSet.has(id))).to.deep.equal([]);
      // Contiguous: whatever the killed node had in flight either is there whole or was never numbered.
      expect(kept.map(seqOf)).to.deep.equal(kept.map((_, i) => i + 1));
      const next = await bus.publish({ event_type: 'crash', publisher: 'p' });
      expect(seqOf(next.event.event_id)).to.equal(kept.length + 1);
    } finally {
      await bus.close();
    }
  });
});

const ids = (body: { events: Array<{ event_id: string }> }): string[] => body.events.map((e) => e.event_id);

describe('events on Redis: Redis goes away and comes back', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let server: TestServer;
  let token: string;
  const projectId = `p-${randomUUID()}`;

  before(async () => {
    redis = await RedisServer.start({ appendonly: true });
    server = await startTestServer({ config: { project_id: projectId, redis: { url: redis.url } } });
    token = await server.tokenFor();
  });
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  const publish = (type: string, data: Record<string, unknown> = {}) => server.request('POST', `/api/events/${type}`, { token, body: { data } });

  it('answers 503 EVT_001 at once, reports unhealthy with the reason, answers pending waits; then recovers without losing or repeating an event', async () => {
    const health = await server.request('GET', '/health');
    expect(health.body.warnings, 'appendonly is on').to.deep.equal([]);
    const other = await RedisEventBus.open({ events: server.config.events, url: redis.url, projectId });
    try {
      const before = [];
      for (let i = 0; i < 3; i++) before.push((await publish('job', { i })).body.event_id as string);
      const pending = server.request('GET', '/api/events/wait/job?since=now&timeout=30000', { token });
      await new Promise((r) => setTimeout(r, 100));

      await redis.halt();
      let started = Date.now();
      const answered = await pending;
      expect(Date.now() - started, 'pending wait answered').to.be.below(2000);
      expect(answered.status).to.equal(200);
      expect(answered.body).to.deep.include({ events: [], timeout: true });
      expect(answered.body.next_cursor).to.equal(before[2]);

      started = Date.now();
      const refused = await publish('job', { i: 99 });
      expectContractError(refused, 503, 'EVT_001');
      const waitRefused = await server.request('GET', '/api/events/wait/job?since=now&timeout=1000', { token });
      expectContractError(waitRefused, 503, 'EVT_001');
      expect(Date.now() - started, 'both refusals').to.be.below(2000);
      const down = await server.request('GET', '/health');
      expect(down.status).to.equal(503);
      expect(down.body.status).to.equal('unhealthy');
      expect(down.body.checks).to.deep.include({ event_bus: 'down', event_bus_reason: 'redis unreachable' });

      await redis.resume();
      await until(async () => (await server.request('GET', '/health')).status === 200);
      const after = [];
      for (let i = 3; i < 5; i++) {
        const res = await publish('job', { i });
        expect(res.status, res.text).to.equal(202);
        after.push(res.body.event_id as string);
      }
      const resumed = await server.request('GET', `/api/events/wait/job?since=${answered.body.next_cursor}&timeout=2000`, { token });
      expect(ids(resumed.body)).to.deep.equal(after);
      // The other node's tail resumed from its last id: every event once, in order.
      // (It reconnects at its own pace: 503 until then.)
      await until(async () => (await other.list({ eventType: 'job' }).catch(() => ({ events: [] }))).events.length >= 5);
      expect((await other.list({ eventType: 'job' })).events.map((e) => e.event_id)).to.deep.equal([...before, ...after]);
      expect(other.health()).to.equal('ok');
    } finally {
      await other.close();
    }
  });

  it('answers a cursor from before a Redis that lost its data with 410 EVT_003, never a silent skip', async () => {
    const first = await publish('lost');
    expect(first.status).to.equal(202);
    // A restart that keeps nothing: the stream, its sequence and its epoch are gone.
    await redis.halt(true);
    await import('node:fs/promises').then((fs) => fs.rm(redis.dir, { recursive: true, force: true }).then(() => fs.mkdir(redis.dir)));
    await redis.resume();
    await until(async () => (await server.request('GET', '/health')).status === 200);
    const fresh = await publish('lost', { after: true });
    expect(fresh.status, fresh.text).to.equal(202);
    expect(fresh.body.event_id).not.to.equal(first.body.event_id);
    const old = await server.request('GET', `/api/events/wait/lost?since=${first.body.event_id}&timeout=0`, { token });
    expectContractError(old, 410, 'EVT_003');
    const again = await server.request('GET', `/api/events/wait/lost?since=${old.body.details.oldest_cursor}&timeout=0`, { token });
    expect(ids(again.body)).to.deep.equal([fresh.body.event_id]);
  });
});
