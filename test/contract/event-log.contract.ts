import { expect } from 'chai';
import type { DeadLetterReason } from '../../src/events/event-bus.js';
import type { AppendRecord, EventLog, EventLogSink, LogEntry } from '../../src/events/event-log.js';

/** How the suite gets logs of one implementation. */
export interface EventLogHarness {
  /**
   * A fresh, empty log (not yet attached). `bufferSize` caps the events held (older ones are
   * trimmed as `evicted`); the clock starts at `now()` and moves only with `advance`.
   */
  open(options?: { bufferSize?: number }): Promise<EventLog>;
  /** The same stored stream opened again (durable logs); undefined when the log keeps nothing. */
  reopen?: (log: EventLog) => Promise<EventLog>;
  /** Move the log's clock forward. */
  advance(ms: number): void;
  cleanup(): Promise<void>;
}

/** A sink that records what the log tells it, and keeps dead letters the way the core does. */
class RecordingSink {
  readonly appended: Array<{ id: string; record: AppendRecord | undefined }> = [];
  readonly trimmed: Array<{ id: string; reason: DeadLetterReason }> = [];
  constructor(private readonly log: EventLog) {}

  appended_(batch: ReadonlyArray<{ readonly entry: LogEntry; readonly record: AppendRecord | undefined }>): void {
    for (const b of batch) {
      this.appended.push({ id: b.entry.event.event_id, record: b.record });
    }
  }

  get sink(): EventLogSink {
    return {
      appended: (batch) => this.appended_(batch),
      trimmed: (entry, reason, at) => {
        this.trimmed.push({ id: entry.event.event_id, reason });
        if (!entry.delivered) this.log.addDeadLetter(entry, reason, at);
      },
    };
  }
}

export function record(type: string, data: Record<string, unknown> = {}, ttlSeconds = 86_400): AppendRecord {
  const dataJson = JSON.stringify(data);
  return {
    type,
    topic: 'coordination',
    publisher: 'contract',
    correlationId: null,
    ttlSeconds,
    dataJson,
    data: JSON.parse(dataJson) as Record<string, unknown>,
  };
}

const all = (): boolean => true;

async function caught(fn: () => unknown): Promise<Error & { status?: number; code?: string; details?: Record<string, unknown> }> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

/**
 * The behaviour every `EventLog` must show, whatever stores it. Run it from a `*.test.ts` next to
 * the implementation: `eventLogContract('embedded', harness)`.
 */
export function eventLogContract(name: string, harness: EventLogHarness): void {
  describe(`EventLog contract: ${name}`, () => {
    const opened: EventLog[] = [];
    const open = async (options?: { bufferSize?: number }): Promise<{ log: EventLog; rec: RecordingSink }> => {
      const log = await harness.open(options);
      opened.push(log);
      const rec = new RecordingSink(log);
      log.attach(rec.sink);
      return { log, rec };
    };
    afterEach(async () => {
      for (const log of opened.splice(0)) await log.close();
    });
    after(() => harness.cleanup());

    it('appends with contiguous, ordered cursors and reads them back in order', async () => {
      const { log } = await open();
      const entries = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(record('t', { i }))));
      const ids = entries.map((e) => e.event.event_id);
      expect(new Set(ids).size).to.equal(20);
      for (const id of ids) expect(log.isCursor(id)).to.equal(true);
      const page = await log.read({ after: undefined, match: all, limit: 100 });
      expect(page.entries.map((e) => e.event.event_id)).to.deep.equal(ids);
      expect(page.entries.map((e) => e.event.data.i)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
      expect(page.more).to.equal(false);
      expect(page.nextCursor).to.equal(log.headCursor());
      expect(log.headCursor()).to.equal(ids[19]);
      const rest = await log.read({ after: ids[14], match: all, limit: 100 });
      expect(rest.entries.map((e) => e.event.event_id)).to.deep.equal(ids.slice(15));
      expect(log.depth()).to.equal(20);
    });

    it('fills in the wire fields of each event from its record', async () => {
      const { log } = await open();
      const entry = await log.append({ ...record('build_done', { ok: true }, 60), topic: 'ci', publisher: 'p-1', correlationId: 'c-1' });
      expect(entry.event).to.deep.include({
        event_type: 'build_done',
        topic: 'ci',
        publisher: 'p-1',
        correlation_id: 'c-1',
        ttl_seconds: 60,
        data: { ok: true },
      });
      expect(Date.parse(entry.event.timestamp)).to.be.a('number').and.not.NaN;
      expect(entry.delivered).to.equal(false);
    });

    it("tells the sink about each batch in order, with this process's record, before the appends resolve", async () => {
      const { log, rec } = await open();
      const records = Array.from({ length: 5 }, (_, i) => record('t', { i }));
      const toldFirst: boolean[] = [];
      const entries = await Promise.all(
        records.map(async (r) => {
          const e = await log.append(r);
          toldFirst.push(rec.appended.some((a) => a.id === e.event.event_id));
          return e;
        }),
      );
      expect(rec.appended.map((a) => a.id)).to.deep.equal(entries.map((e) => e.event.event_id));
      rec.appended.forEach((a, i) => expect(a.record).to.equal(records[i]));
      expect(toldFirst).to.deep.equal([true, true, true, true, true]);
    });

    it('pages with limit: more, and a next cursor at the last entry; without more, at the head', async () => {
      const { log } = await open();
      for (let i = 0; i < 5; i++) await log.append(record(i % 2 ? 'odd' : 'even', { i }));
      const first = await log.read({ after: undefined, match: (e) => e.event_type === 'even', limit: 2 });
      expect(first.entries.map((e) => e.event.data.i)).to.deep.equal([0, 2]);
      expect(first.more).to.equal(true);
      expect(first.nextCursor).to.equal(first.entries[1]!.event.event_id);
      const second = await log.read({ after: first.nextCursor, match: (e) => e.event_type === 'even', limit: 2 });
      expect(second.entries.map((e) => e.event.data.i)).to.deep.equal([4]);
      expect(second.more).to.equal(false);
      expect(second.nextCursor).to.equal(log.headCursor());
    });

    it('reading after the head or the oldest cursor misses nothing and repeats nothing', async () => {
      const { log } = await open();
      const head = log.headCursor();
      expect((await log.read({ after: head, match: all, limit: 10 })).entries).to.deep.equal([]);
      const a = await log.append(record('t'));
      expect((await log.read({ after: head, match: all, limit: 10 })).entries.map((e) => e.event.event_id)).to.deep.equal([a.event.event_id]);
      expect((await log.read({ after: log.oldestCursor(), match: all, limit: 10 })).entries.map((e) => e.event.event_id)).to.deep.equal([a.event.event_id]);
    });

    it('refuses text that is not a cursor with 400 EVT_002', async () => {
      const { log } = await open();
      expect(log.isCursor('not-a-cursor')).to.equal(false);
      const err = await caught(() => log.read({ after: 'not-a-cursor', match: all, limit: 1 }));
      expect(err).to.include({ status: 400, code: 'EVT_002' });
    });

    it('answers a cursor of another stream with 410 EVT_003 and the oldest cursor', async () => {
      const { log: one } = await open();
      const { log: two } = await open();
      const foreign = (await two.append(record('t'))).event.event_id;
      await one.append(record('t'));
      expect(one.epoch).to.not.equal(two.epoch);
      const err = await caught(() => one.read({ after: foreign, match: all, limit: 1 }));
      expect(err).to.include({ status: 410, code: 'EVT_003' });
      expect(err.details?.oldest_cursor).to.equal(one.oldestCursor());
    });

    it('trims to capacity, telling the sink, and expires the cursors of trimmed events', async () => {
      const { log, rec } = await open({ bufferSize: 3 });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await log.append(record('t', { i }))).event.event_id);
      expect(log.depth()).to.equal(3);
      expect(rec.trimmed).to.deep.equal([
        { id: ids[0], reason: 'evicted' },
        { id: ids[1], reason: 'evicted' },
      ]);
      const err = await caught(() => log.read({ after: ids[0], match: all, limit: 10 }));
      expect(err).to.include({ status: 410, code: 'EVT_003' });
      const page = await log.read({ after: err.details!.oldest_cursor as string, match: all, limit: 10 });
      expect(page.entries.map((e) => e.event.event_id)).to.deep.equal(ids.slice(2));
    });

    it('expires events after their TTL: no longer read, and the sink hears why', async () => {
      const { log, rec } = await open();
      const short = await log.append(record('t', { n: 'short' }, 1));
      const long = await log.append(record('t', { n: 'long' }, 3600));
      harness.advance(2000);
      const page = await log.read({ after: undefined, match: all, limit: 10 });
      expect(page.entries.map((e) => e.event.event_id)).to.deep.equal([long.event.event_id]);
      expect(rec.trimmed).to.deep.equal([{ id: short.event.event_id, reason: 'expired' }]);
    });

    it('keeps delivered events out of the dead letters', async () => {
      const { log, rec } = await open({ bufferSize: 2 });
      const delivered = await log.append(record('t', { n: 1 }));
      log.markDelivered([delivered]);
      expect(delivered.delivered).to.equal(true);
      const undelivered = await log.append(record('t', { n: 2 }));
      await log.append(record('t', { n: 3 }));
      await log.append(record('t', { n: 4 }));
      expect(rec.trimmed.map((t) => t.id)).to.deep.equal([delivered.event.event_id, undelivered.event.event_id]);
      expect([...log.deadLetters()].map((d) => d.event_id)).to.deep.equal([undelivered.event.event_id]);
    });

    it('keeps dead letters: list, get, take, restore, forget', async () => {
      const { log } = await open({ bufferSize: 1 });
      const a = await log.append(record('t', { n: 'a' }));
      const b = await log.append(record('t', { n: 'b' }));
      await log.append(record('t', { n: 'c' }));
      const letters = [...log.deadLetters()];
      expect(letters.map((d) => [d.event_id, d.reason])).to.deep.equal([
        [a.event.event_id, 'evicted'],
        [b.event.event_id, 'evicted'],
      ]);
      expect(letters[0]).to.deep.include({ ...a.event });
      expect(Date.parse(letters[0]!.dead_lettered_at)).to.be.a('number').and.not.NaN;
      expect(log.deadLetterCount()).to.equal(2);
      expect(log.getDeadLetter(a.event.event_id)?.data).to.deep.equal({ n: 'a' });
      const taken = log.takeDeadLetter(a.event.event_id)!;
      expect(log.takeDeadLetter(a.event.event_id), 'taken once').to.equal(undefined);
      expect(log.deadLetterCount()).to.equal(1);
      log.restoreDeadLetter(taken);
      expect(log.deadLetterCount()).to.equal(2);
      const again = log.takeDeadLetter(a.event.event_id)!;
      await log.forgetDeadLetters([again]);
      expect(log.getDeadLetter(a.event.event_id)).to.equal(undefined);
      const rest = log.takeAllDeadLetters();
      expect(rest.map((d) => d.event_id)).to.deep.equal([b.event.event_id]);
      await log.forgetDeadLetters(rest);
      expect(log.deadLetterCount()).to.equal(0);
    });

    it('keeps events, cursors, delivered flags and dead letters across a reopen', async function () {
      if (!harness.reopen) this.skip();
      const { log } = await open({ bufferSize: 2 });
      const gone = await log.append(record('t', { n: 1 }));
      const kept = await log.append(record('t', { n: 2 }));
      const last = await log.append(record('t', { n: 3 }));
      log.markDelivered([kept]);
      const forgotten = log.takeAllDeadLetters();
      expect(forgotten.map((d) => d.event_id)).to.deep.equal([gone.event.event_id]);
      log.restoreDeadLetter(forgotten[0]!);
      const epoch = log.epoch;
      await log.close();
      opened.splice(opened.indexOf(log), 1);
      const again = await harness.reopen(log);
      opened.push(again);
      again.attach(new RecordingSink(again).sink);
      expect(again.epoch).to.equal(epoch);
      const page = await again.read({ after: kept.event.event_id, match: all, limit: 10 });
      expect(page.entries.map((e) => e.event.event_id)).to.deep.equal([last.event.event_id]);
      expect((await again.read({ after: undefined, match: all, limit: 10 })).entries.map((e) => [e.event.event_id, e.delivered])).to.deep.equal([
        [kept.event.event_id, true],
        [last.event.event_id, false],
      ]);
      expect([...again.deadLetters()].map((d) => d.event_id)).to.deep.equal([gone.event.event_id]);
      const next = await again.append(record('t'));
      expect((await again.read({ after: last.event.event_id, match: all, limit: 10 })).entries.map((e) => e.event.event_id)).to.deep.equal([
        next.event.event_id,
      ]);
    });

    it('refuses appends once closed with 503 EVT_001', async () => {
      const { log } = await open();
      await log.close();
      expect(await caught(() => log.assertWritable())).to.include({ status: 503, code: 'EVT_001' });
      expect(await caught(() => log.append(record('t')))).to.include({ status: 503, code: 'EVT_001' });
      expect(log.health()).to.equal('down');
    });
  });
}
