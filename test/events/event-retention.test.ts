import { expect } from 'chai';
import { BusFixture, rejection, seqOf } from './bus-fixture.js';

describe('events: retention, dead letters and cursors', () => {
  const fx = new BusFixture();
  after(() => fx.cleanup());

  it('moves an undelivered event whose TTL ran out to the dead-letter queue', async () => {
    fx.clock = Date.now();
    const bus = await fx.bus(await fx.tempDir(), {}, { fakeClock: true });
    const long = await bus.publish({ event_type: 'keep', publisher: 'p' });
    const short = await bus.publish({ event_type: 'brief', publisher: 'p', ttl_seconds: 5, data: { k: 1 } });
    const seenShort = await bus.publish({ event_type: 'seen', publisher: 'p', ttl_seconds: 5 });
    await bus.wait({ eventType: 'seen', subscriberId: 's', timeoutMs: 0 });
    fx.clock += 6_000;
    const page = await bus.list({});
    expect(page.events.map((e) => e.event_id)).to.deep.equal([long.event.event_id]);
    const dl = await bus.listDeadLetters();
    expect(dl.total).to.equal(1);
    expect(dl.dead_letters[0]).to.deep.include({ event_id: short.event.event_id, reason: 'expired', data: { k: 1 } });
    expect(dl.dead_letters[0]!.dead_lettered_at).to.equal(new Date(fx.clock).toISOString());
    expect(bus.stats()).to.include({ dead_letter_queue_size: 1, queue_depth: 1 });
    // An expired event in the middle does not expire cursors before it.
    expect((await bus.list({ since: long.event.event_id })).events).to.deep.equal([]);
    expect(seenShort.event.event_id).to.not.equal(short.event.event_id);
    await fx.close(bus);
  });

  it('expires everything after 24 h retention and answers an old cursor with 410 + oldest_cursor', async () => {
    fx.clock = Date.now();
    const bus = await fx.bus(await fx.tempDir(), { retention_seconds: 60 }, { fakeClock: true });
    const a = await bus.publish({ event_type: 'x', publisher: 'p' });
    await bus.publish({ event_type: 'x', publisher: 'p' });
    fx.clock += 61_000;
    const c = await bus.publish({ event_type: 'x', publisher: 'p' });
    const err = await rejection(bus.wait({ eventType: 'x', subscriberId: 's', since: a.event.event_id, timeoutMs: 0 }));
    expect(err).to.include({ status: 410, code: 'EVT_003' });
    const oldest = err.details!.oldest_cursor as string;
    expect(seqOf(oldest)).to.equal(seqOf(c.event.event_id) - 1);
    const resumed = await bus.wait({ eventType: 'x', subscriberId: 's', since: oldest, timeoutMs: 0 });
    expect(resumed.events.map((e) => e.event_id)).to.deep.equal([c.event.event_id]);
    expect((await bus.listDeadLetters()).dead_letters.map((d) => d.reason)).to.deep.equal(['expired', 'expired']);
    await fx.close(bus);
  });

  it('evicts beyond the buffer capacity into the dead-letter queue, bounded, and redrives and purges', async () => {
    const bus = await fx.bus(await fx.tempDir(), { buffer_size: 10, dead_letter_size: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) ids.push((await bus.publish({ event_type: 'x', publisher: 'p', data: { i } })).event.event_id);
    expect(bus.stats().queue_depth).to.equal(10);
    const dl = await bus.listDeadLetters();
    expect(dl.total).to.equal(3);
    expect(dl.dead_letters.map((d) => d.data.i)).to.deep.equal([2, 3, 4]);
    expect(dl.dead_letters.every((d) => d.reason === 'evicted')).to.equal(true);
    const expired = await rejection(bus.list({ since: ids[2]! }));
    expect(expired).to.include({ code: 'EVT_003' });
    expect(expired.details!.oldest_cursor).to.equal(ids[4]);

    const waiting = bus.wait({ eventType: 'x', subscriberId: 'w', since: 'now', timeoutMs: 5000 });
    const redriven = await bus.redriveDeadLetter(ids[3]!);
    expect(seqOf(redriven.event.event_id)).to.equal(16);
    expect(redriven.event.data).to.deep.equal({ i: 3 });
    expect(redriven.subscribers_notified).to.deep.equal(['w']);
    expect((await waiting).events.map((e) => e.data.i)).to.deep.equal([3]);
    expect(await rejection(bus.redriveDeadLetter(ids[3]!))).to.include({ status: 404, code: 'NOT_FOUND' });
    // The redriven event pushed i=5 out of the full buffer.
    expect((await bus.listDeadLetters()).dead_letters.map((d) => d.data.i)).to.deep.equal([2, 4, 5]);
    expect(await bus.purgeDeadLetters()).to.equal(3);
    expect((await bus.listDeadLetters()).total).to.equal(0);
    await fx.close(bus);
  });

  it('never dead-letters an event that a waiter received', async () => {
    const bus = await fx.bus(await fx.tempDir(), { buffer_size: 10 });
    const waiting = bus.wait({ eventType: 'x', subscriberId: 'w', since: 'now', timeoutMs: 5000 });
    await bus.publish({ event_type: 'x', publisher: 'p' });
    await waiting;
    for (let i = 0; i < 10; i++) await bus.publish({ event_type: 'y', publisher: 'p' });
    expect((await bus.listDeadLetters()).total).to.equal(0);
    await bus.publish({ event_type: 'y', publisher: 'p' });
    expect((await bus.listDeadLetters()).dead_letters.map((d) => d.event_type)).to.deep.equal(['y']);
    await fx.close(bus);
  });

  it('answers a cursor from another epoch (another journal) with 410 EVT_003', async () => {
    const a = await fx.bus(await fx.tempDir());
    const b = await fx.bus(await fx.tempDir());
    const fromA = await a.publish({ event_type: 'x', publisher: 'p' });
    await b.publish({ event_type: 'x', publisher: 'p' });
    const err = await rejection(b.wait({ eventType: 'x', subscriberId: 's', since: fromA.event.event_id, timeoutMs: 0 }));
    expect(err).to.include({ status: 410, code: 'EVT_003' });
    expect(err.details!.oldest_cursor)
      .to.be.a('string')
      .and.match(/_000000000000$/);
    // A cursor ahead of the journal is foreign too.
    const ahead = fromA.event.event_id.replace(/_\d+$/, '_000000000099');
    expect(await rejection(a.list({ since: ahead }))).to.include({ code: 'EVT_003' });
    await fx.close(a);
    await fx.close(b);
  });
});
