import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BusFixture, rejection, seqOf } from './bus-fixture.js';

const journalOf = (dir: string) => path.join(dir, 'events', 'journal.jsonl');

describe('events: journal durability', () => {
  const fx = new BusFixture();
  after(() => fx.cleanup());

  for (const fsync of ['always', 'interval'] as const) {
    it(`keeps events, cursors and dead letters across a restart (fsync ${fsync})`, async () => {
      const dir = await fx.tempDir();
      let bus = await fx.bus(dir, { fsync, buffer_size: 10 });
      const first: string[] = [];
      for (let i = 0; i < 12; i++) first.push((await bus.publish({ event_type: 'x', publisher: 'p', data: { i } })).event.event_id);
      const mid = await bus.wait({ eventType: 'x', subscriberId: 's', since: first[8], limit: 1, timeoutMs: 0 });
      const timeoutCursor = (await bus.wait({ eventType: 'none', subscriberId: 's', since: 'now', timeoutMs: 0 })).next_cursor;
      await fx.close(bus);

      bus = await fx.bus(dir, { fsync, buffer_size: 10 });
      expect((await bus.list({ since: mid.next_cursor })).events.map((e) => e.data.i)).to.deep.equal([10, 11]);
      expect((await bus.list({})).events.map((e) => e.event_id)).to.deep.equal(first.slice(2));
      const again = await bus.publish({ event_type: 'x', publisher: 'p', data: { i: 12 } });
      expect(seqOf(again.event.event_id)).to.equal(13);
      expect((await bus.list({ since: timeoutCursor })).events.map((e) => e.data.i)).to.deep.equal([12]);
      // i=0,1 were evicted undelivered before the restart, i=2 by the publish just now.
      expect((await bus.listDeadLetters()).dead_letters.map((d) => d.data.i)).to.deep.equal([0, 1, 2]);
      expect((await bus.listDeadLetters()).dead_letters.map((d) => d.reason)).to.deep.equal(['evicted', 'evicted', 'evicted']);
      await fx.close(bus);
    });
  }

  it('keeps every acknowledged publish when the process is killed with SIGKILL mid-stream', async () => {
    const dir = await fx.tempDir();
    const child = spawn(process.execPath, [fileURLToPath(new URL('./crash-publisher.js', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (let i = 0; i < 400 && out.split('\n').length < 200; i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    await exited;
    const acked = out.split('\n').filter((l) => /^evt_/.test(l));
    expect(acked.length).to.be.above(50);
    const bus = await fx.bus(dir);
    const kept = new Set<string>();
    let cursor: string | undefined;
    for (let more = true; more;) {
      const page = await bus.list({ limit: 1000, ...(cursor ? { since: cursor } : {}) });
      for (const e of page.events) kept.add(e.event_id);
      cursor = page.next_cursor;
      more = page.more_available;
    }
    expect(acked.filter((id) => !kept.has(id))).to.deep.equal([]);
    const next = await bus.publish({ event_type: 'crash', publisher: 'p' });
    expect(seqOf(next.event.event_id)).to.equal(Math.max(...[...kept].map(seqOf)) + 1);
    await fx.close(bus);
  });

  it('continues ids after a restart even when nothing is left in the buffer', async () => {
    fx.clock = Date.now();
    const dir = await fx.tempDir();
    let bus = await fx.bus(dir, {}, { fakeClock: true, compactMinBytes: 1 });
    const a = await bus.publish({ event_type: 'x', publisher: 'p', ttl_seconds: 1 });
    fx.clock += 2000;
    expect((await bus.list({})).events).to.have.length(0);
    expect(await bus.purgeDeadLetters()).to.equal(1);
    await fx.close(bus);
    bus = await fx.bus(dir, {}, { fakeClock: true });
    const b = await bus.publish({ event_type: 'x', publisher: 'p' });
    expect(seqOf(b.event.event_id)).to.equal(seqOf(a.event.event_id) + 1);
    await fx.close(bus);
  });

  it('tolerates a torn last line and skips a garbage line at open', async () => {
    const dir = await fx.tempDir();
    let bus = await fx.bus(dir);
    const a = await bus.publish({ event_type: 'x', publisher: 'p', data: { n: 1 } });
    await fx.close(bus);
    await fsp.appendFile(journalOf(dir), 'not json at all\n');
    await fsp.appendFile(journalOf(dir), '{"t":"e","s":2,"at":1700000000000,"ttl":86400,"ty":"x","tp":"coordination","pb":"p","c":null,"d":{"n":');
    bus = await fx.bus(dir);
    expect((await bus.list({})).events.map((e) => e.data.n)).to.deep.equal([1]);
    const b = await bus.publish({ event_type: 'x', publisher: 'p', data: { n: 2 } });
    expect(seqOf(b.event.event_id)).to.equal(2);
    expect((await bus.list({ since: a.event.event_id })).events.map((e) => e.data.n)).to.deep.equal([2]);
    await fx.close(bus);
    const text = await fsp.readFile(journalOf(dir), 'utf8');
    expect(text.endsWith('\n')).to.equal(true);
    expect(text).to.not.include('not json');
    bus = await fx.bus(dir);
    expect((await bus.list({})).events.map((e) => e.data.n)).to.deep.equal([1, 2]);
    await fx.close(bus);
  });

  it('compacts the journal so it does not grow forever, keeping epoch and ids', async () => {
    const dir = await fx.tempDir();
    let bus = await fx.bus(dir, { buffer_size: 10, dead_letter_size: 0, fsync: 'interval' }, { compactMinBytes: 4096 });
    const pad = 'x'.repeat(200);
    let last = '';
    for (let i = 0; i < 400; i++) last = (await bus.publish({ event_type: 'x', publisher: 'p', data: { i, pad } })).event.event_id;
    const size = (await fsp.stat(journalOf(dir))).size;
    // 400 events of ~300 bytes are ~120 kB appended; compaction keeps the file near 2 × the live set.
    expect(size).to.be.below(16 * 1024);
    await fx.close(bus);
    bus = await fx.bus(dir, { buffer_size: 10, dead_letter_size: 0 });
    const page = await bus.list({});
    expect(page.events.map((e) => e.data.i)).to.deep.equal(Array.from({ length: 10 }, (_, k) => 390 + k));
    expect(page.next_cursor).to.equal(last);
    await fx.close(bus);
  });

  it('creates the journal 0600 in a 0700 directory and refuses a second open of the same storage', async () => {
    const dir = await fx.tempDir();
    const bus = await fx.bus(dir);
    expect((await fsp.stat(path.join(dir, 'events'))).mode & 0o777).to.equal(0o700);
    expect((await fsp.stat(journalOf(dir))).mode & 0o777).to.equal(0o600);
    const err = await rejection(fx.bus(dir));
    expect(err.message).to.match(/already open in this process/);
    await fx.close(bus);
  });

  it('takes over a stale lock left by a crashed process, even one that had our pid', async () => {
    const dir = await fx.tempDir();
    let bus = await fx.bus(dir);
    await bus.publish({ event_type: 'x', publisher: 'p' });
    await fx.close(bus);
    const lock = path.join(dir, 'events', 'journal.lock');
    for (const pid of [process.pid, 2 ** 22 + 17]) {
      await fsp.writeFile(lock, `${pid}\n`);
      bus = await fx.bus(dir);
      expect((await bus.list({})).events).to.have.length(1);
      await fx.close(bus);
    }
  });

  it('starts a new epoch when the journal lost its header, so old cursors get 410', async () => {
    const dir = await fx.tempDir();
    let bus = await fx.bus(dir);
    const a = await bus.publish({ event_type: 'x', publisher: 'p' });
    await fx.close(bus);
    const lines = (await fsp.readFile(journalOf(dir), 'utf8')).split('\n');
    await fsp.writeFile(journalOf(dir), ['garbage', ...lines.slice(1)].join('\n'));
    bus = await fx.bus(dir);
    const err = await rejection(bus.list({ since: a.event.event_id }));
    expect(err).to.include({ code: 'EVT_003' });
    const page = await bus.list({ since: err.details!.oldest_cursor as string });
    expect(page.events).to.have.length(1);
    expect(seqOf(page.events[0]!.event_id)).to.equal(1);
    await fx.close(bus);
  });
});
