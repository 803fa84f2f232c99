import { expect } from 'chai';
import type { ConfigInput } from '../../src/config/schema.js';
import type { BusEvent, EventBus } from '../../src/events/event-bus.js';

export type EventsConfigInput = NonNullable<ConfigInput['events']>;

/** How the suite gets buses of one implementation. */
export interface EventBusHarness {
  /** A fresh bus over an empty stream, with these `events` settings. */
  open(events?: EventsConfigInput): Promise<EventBus>;
  cleanup(): Promise<void>;
}

async function rejection(p: Promise<unknown>): Promise<Error & { status?: number; code?: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/**
 * The behaviour of `EventBus` (spec §4 events and dead letters, spec §2 issue scope) that any
 * backend must show. Run it from a `*.test.ts` next to the implementation.
 */
export function eventBusContract(name: string, harness: EventBusHarness): void {
  describe(`EventBus contract: ${name}`, () => {
    const buses: EventBus[] = [];
    const open = async (events?: EventsConfigInput): Promise<EventBus> => {
      const bus = await harness.open(events);
      buses.push(bus);
      return bus;
    };
    afterEach(async () => {
      for (const bus of buses.splice(0)) await bus.close();
    });
    after(() => harness.cleanup());

    const pub = (bus: EventBus, type: string, data: Record<string, unknown> = {}, topic?: string) =>
      bus.publish({ event_type: type, publisher: 'agent-1', data, ...(topic ? { topic } : {}) });
    const ids = (events: readonly BusEvent[]): string[] => events.map((e) => e.event_id);

    it('publishes with the wire fields and lists in publish order with a cursor at the last event', async () => {
      const bus = await open();
      const a = await pub(bus, 'build', { n: 1 });
      const b = await pub(bus, 'build', { n: 2 });
      expect(a.event).to.deep.include({
        event_type: 'build',
        publisher: 'agent-1',
        topic: 'coordination',
        data: { n: 1 },
        correlation_id: null,
        ttl_seconds: 86_400,
      });
      expect(bus.isCursor(a.event.event_id)).to.equal(true);
      expect(bus.isCursor('nonsense')).to.equal(false);
      const page = await bus.list({});
      expect(ids(page.events)).to.deep.equal([a.event.event_id, b.event.event_id]);
      expect(page).to.include({ more_available: false, next_cursor: b.event.event_id });
      expect(ids((await bus.list({ since: a.event.event_id })).events)).to.deep.equal([b.event.event_id]);
      expect(bus.stats()).to.include({ total_published: 2, queue_depth: 2 });
    });

    it('wakes a waiter started before the publish, and reports who was notified', async () => {
      const bus = await open();
      const waits = [
        bus.wait({ eventType: 'go', subscriberId: 'w-1', since: 'now', timeoutMs: 5000 }),
        bus.wait({ eventType: '*', subscriberId: 'w-2', since: 'now', timeoutMs: 5000 }),
      ];
      // "Started" means registered: a log with asynchronous reads (Redis) resolves `since=now` with a
      // round trip first, so a publish racing that read may legitimately come before the wait.
      for (let i = 0; i < 200 && bus.stats().active_subscriptions < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(bus.stats().active_subscriptions).to.equal(2);
      const res = await pub(bus, 'go');
      expect(res.subscriber_count).to.equal(2);
      expect([...res.subscribers_notified].sort()).to.deep.equal(['w-1', 'w-2']);
      for (const r of await Promise.all(waits)) expect(ids(r.events)).to.deep.equal([res.event.event_id]);
      expect(bus.stats()).to.include({ total_delivered: 2, active_subscriptions: 0 });
    });

    it('replays buffered matches at once without since, and times out with a cursor that loses nothing', async () => {
      const bus = await open();
      const old = await pub(bus, 'deploy');
      expect(ids((await bus.wait({ eventType: 'deploy', subscriberId: 's', timeoutMs: 5000 })).events)).to.deep.equal([old.event.event_id]);
      const quiet = await bus.wait({ eventType: 'other', subscriberId: 's', since: 'now', timeoutMs: 0 });
      expect(quiet).to.deep.include({ events: [], more_available: false, timeout: true });
      expect(quiet.next_cursor).to.be.a('string');
      const later = await pub(bus, 'other');
      expect(ids((await bus.wait({ eventType: 'other', subscriberId: 's', since: quiet.next_cursor, timeoutMs: 0 })).events)).to.deep.equal([
        later.event.event_id,
      ]);
    });

    it('selects by type, topic and filter, and pages with limit', async () => {
      const bus = await open();
      await pub(bus, 'a', { status: 'ok' }, 'ci');
      const b = await pub(bus, 'a', { status: 'bad' }, 'ci');
      await pub(bus, 'a', { status: 'bad' }, 'docs');
      const c = await pub(bus, 'b', { status: 'bad' }, 'ci');
      expect(ids((await bus.list({ eventType: 'a', topic: 'ci', filter: 'status:bad' })).events)).to.deep.equal([b.event.event_id]);
      const first = await bus.list({ topic: 'ci', filter: 'status:bad', limit: 1 });
      expect(first).to.include({ more_available: true, next_cursor: b.event.event_id });
      expect(ids((await bus.list({ topic: 'ci', filter: 'status:bad', since: first.next_cursor })).events)).to.deep.equal([c.event.event_id]);
    });

    it('hides events about another issue from an issue-scoped reader, not events about no issue', async () => {
      const bus = await open();
      const mine = await pub(bus, 'x', { issue_id: '7' });
      await pub(bus, 'x', { issue_id: '8' });
      const general = await pub(bus, 'x', {});
      expect(ids((await bus.list({ issueScope: '7' })).events)).to.deep.equal([mine.event.event_id, general.event.event_id]);
      const waiting = bus.wait({ eventType: 'y', subscriberId: 's', since: 'now', timeoutMs: 5000, issueScope: '7' });
      await pub(bus, 'y', { issue_id: '8' });
      const seen = await pub(bus, 'y', { issue_id: 7 });
      expect(ids((await waiting).events)).to.deep.equal([seen.event.event_id]);
    });

    it('answers bad input with 400 EVT_002 and a cursor of another stream with 410 EVT_003', async () => {
      const bus = await open({ max_event_bytes: 1024 });
      const other = await open();
      expect(await rejection(bus.publish({ event_type: '*', publisher: 'p' }))).to.include({ status: 400, code: 'EVT_002' });
      expect(await rejection(pub(bus, 'x', { big: 'x'.repeat(2000) }))).to.include({ status: 400, code: 'EVT_002' });
      expect(await rejection(bus.list({ filter: 'no-colon' }))).to.include({ status: 400, code: 'EVT_002' });
      expect(await rejection(bus.list({ since: 'garbage' }))).to.include({ status: 400, code: 'EVT_002' });
      const foreign = (await pub(other, 'x')).event.event_id;
      const expired = await rejection(bus.wait({ eventType: 'x', subscriberId: 's', since: foreign, timeoutMs: 0 }));
      expect(expired).to.include({ status: 410, code: 'EVT_003' });
      expect(expired.details?.oldest_cursor).to.be.a('string');
    });

    it('caps concurrent waits per key and in total with 429 RATE_001', async () => {
      const bus = await open({ max_waits_per_token: 1, max_waits_total: 2 });
      const held = [bus.wait({ eventType: 'x', subscriberId: 'a', since: 'now', timeoutMs: 5000 })];
      expect(await rejection(bus.wait({ eventType: 'x', subscriberId: 'a', since: 'now', timeoutMs: 5000 }))).to.include({ status: 429, code: 'RATE_001' });
      held.push(bus.wait({ eventType: 'x', subscriberId: 'b', since: 'now', timeoutMs: 5000 }));
      expect(await rejection(bus.wait({ eventType: 'x', subscriberId: 'c', since: 'now', timeoutMs: 5000 }))).to.include({ status: 429, code: 'RATE_001' });
      await pub(bus, 'x');
      expect((await Promise.all(held)).map((r) => r.events.length)).to.deep.equal([1, 1]);
    });

    it('dead-letters undelivered events that leave the buffer; redrive republishes, purge empties', async () => {
      const bus = await open({ buffer_size: 10 });
      const first = await pub(bus, 'lost', { n: 0 });
      const second = await pub(bus, 'lost', { n: 1, issue_id: '9' });
      for (let i = 0; i < 10; i++) await pub(bus, 'filler', { i });
      const page = await bus.listDeadLetters({ eventType: 'lost' });
      expect(page.total).to.equal(2);
      expect(page.dead_letters.map((d) => [d.event_id, d.reason])).to.deep.equal([
        [first.event.event_id, 'evicted'],
        [second.event.event_id, 'evicted'],
      ]);
      expect((await bus.listDeadLetters({ issueScope: '1' })).dead_letters.map((d) => d.event_id)).to.deep.equal([first.event.event_id]);
      expect((await bus.getDeadLetter(first.event.event_id))?.data).to.deep.equal({ n: 0 });
      const redriven = await bus.redriveDeadLetter(first.event.event_id);
      expect(redriven.event.event_id).to.not.equal(first.event.event_id);
      expect(redriven.event.data).to.deep.equal({ n: 0 });
      expect(await rejection(bus.redriveDeadLetter(first.event.event_id))).to.include({ status: 404 });
      // The redriven event pushed the oldest filler out of the full buffer: one more letter.
      expect((await bus.listDeadLetters()).dead_letters.map((d) => d.data)).to.deep.equal([{ n: 1, issue_id: '9' }, { i: 0 }]);
      expect(await bus.purgeDeadLetters()).to.equal(2);
      expect(bus.stats().dead_letter_queue_size).to.equal(0);
    });

    it('tells in-process listeners about every published event', async () => {
      const bus = await open();
      const seen: string[] = [];
      const off = bus.onPublished((e) => seen.push(e.event_type));
      await pub(bus, 'one');
      off();
      await pub(bus, 'two');
      expect(seen).to.deep.equal(['one']);
    });

    it('answers pending waits at once on close, then refuses with 503 EVT_001', async () => {
      const bus = await open();
      expect(bus.health()).to.equal('ok');
      const waiting = bus.wait({ eventType: 'x', subscriberId: 's', since: 'now', timeoutMs: 30_000 });
      const started = Date.now();
      await bus.close();
      const r = await waiting;
      expect(Date.now() - started).to.be.below(2000);
      expect(r.timeout).to.equal(true);
      expect(r.next_cursor).to.be.a('string');
      expect(bus.health()).to.equal('down');
      expect(await rejection(pub(bus, 'x'))).to.include({ status: 503, code: 'EVT_001' });
    });
  });
}
