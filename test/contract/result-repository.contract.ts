import { expect } from 'chai';
import type { StoredEnvelope } from '../../src/results/envelope-schema.js';
import { ResultIdGenerator, resultIdTime } from '../../src/results/result-id.js';
import type { ResultRepository } from '../../src/results/result-repository.js';
import type { ResultStatus } from '../../src/results/result-store.js';

/** How the suite gets repositories of one implementation. */
export interface ResultRepositoryHarness {
  /** A fresh, empty repository. */
  open(): Promise<ResultRepository>;
  /** The same stored data opened again (durable repositories). */
  reopen?: (repo: ResultRepository) => Promise<ResultRepository>;
  cleanup(): Promise<void>;
}

const ids = new ResultIdGenerator();

/** An envelope as the core hands it over: a fresh increasing id, stored_at from the id. */
export function envelope(over: Partial<Omit<StoredEnvelope, 'id' | 'stored_at'>> & { status?: ResultStatus; atMs?: number } = {}): StoredEnvelope {
  // A given time gets its own generator: the shared one never steps back in time.
  const id = over.atMs !== undefined ? new ResultIdGenerator().generate(over.atMs) : ids.generate(Date.now());
  const storedAt = new Date(resultIdTime(id)).toISOString();
  return {
    id,
    agent_id: over.agent_id ?? 'agent-1',
    agent_type: over.agent_type ?? 'python-specialist',
    issue_id: over.issue_id ?? '42',
    project_id: over.project_id ?? 'web',
    result: over.result ?? { status: over.status ?? 'success' },
    timestamp: over.timestamp ?? storedAt,
    stored_at: storedAt,
  };
}

/**
 * The behaviour every `ResultRepository` must show (file tree now, PostgreSQL next). Run it from
 * a `*.test.ts` next to the implementation.
 */
export function resultRepositoryContract(name: string, harness: ResultRepositoryHarness): void {
  describe(`ResultRepository contract: ${name}`, () => {
    const open: ResultRepository[] = [];
    const repo = async (): Promise<ResultRepository> => {
      const r = await harness.open();
      open.push(r);
      return r;
    };
    afterEach(async () => {
      for (const r of open.splice(0)) await r.close();
    });
    after(() => harness.cleanup());

    it('gives back what it stored, with a storage path, and undefined for an unknown id', async () => {
      const r = await repo();
      expect(r.newestId()).to.equal(undefined);
      const e = envelope({ result: { status: 'partial', notes: ['a'] } });
      const saved = await r.insert(e);
      expect(saved).to.deep.include(e);
      expect(saved.storage_path).to.be.a('string').and.not.empty;
      expect(await r.get(e.id)).to.deep.equal(saved);
      expect(await r.get(envelope().id)).to.equal(undefined);
      expect(await r.get('not an id')).to.equal(undefined);
      expect(r.newestId()).to.equal(e.id);
      expect(r.stats().results_stored).to.equal(1);
      expect(r.health()).to.equal('ok');
    });

    it('finds newest id first, filters on every field, and pages below an id', async () => {
      const r = await repo();
      const t0 = Date.parse('2026-01-01T00:00:00.000Z');
      const stored: StoredEnvelope[] = [];
      for (let i = 0; i < 6; i++) {
        const e = envelope({
          issue_id: i < 4 ? '42' : '43',
          agent_type: i % 2 ? 'test-engineer' : 'python-specialist',
          status: i === 3 ? 'failed' : 'success',
          timestamp: new Date(t0 + i * 60_000).toISOString(),
        });
        stored.push(e);
        await r.insert(e);
      }
      const idsOf = (found: { results: Array<{ id: string }> }): string[] => found.results.map((x) => x.id);
      const newestFirst = [...stored].reverse().map((e) => e.id);
      expect(idsOf(await r.find({}, 100))).to.deep.equal(newestFirst);
      expect(idsOf(await r.find({ issue_id: '43' }, 100))).to.deep.equal([stored[5]!.id, stored[4]!.id]);
      expect(idsOf(await r.find({ agent_type: 'test-engineer', issue_id: '42', project_id: 'web' }, 100))).to.deep.equal([stored[3]!.id, stored[1]!.id]);
      expect(idsOf(await r.find({ status: 'failed' }, 100))).to.deep.equal([stored[3]!.id]);
      expect(idsOf(await r.find({ project_id: 'other' }, 100))).to.deep.equal([]);
      expect(idsOf(await r.find({ since_ms: t0 + 60_000, until_ms: t0 + 3 * 60_000 }, 100)), 'since inclusive, until exclusive').to.deep.equal([
        stored[2]!.id,
        stored[1]!.id,
      ]);
      expect(idsOf(await r.find({ latest: true }, 100))).to.deep.equal([stored[5]!.id, stored[4]!.id, stored[3]!.id, stored[2]!.id]);
      const first = await r.find({}, 4);
      expect(first.more).to.equal(true);
      expect(first.lastId).to.equal(stored[2]!.id);
      const second = await r.find({ before_id: first.lastId }, 4);
      expect(idsOf(second)).to.deep.equal([stored[1]!.id, stored[0]!.id]);
      expect(second.more).to.equal(false);
    });

    it('returns the newest result of each agent type on an issue', async () => {
      const r = await repo();
      await r.insert(envelope({ agent_type: 'a-type' }));
      const newestA = envelope({ agent_type: 'a-type', status: 'failed' });
      await r.insert(newestA);
      const onlyB = envelope({ agent_type: 'b-type' });
      await r.insert(onlyB);
      await r.insert(envelope({ agent_type: 'a-type', issue_id: 'other' }));
      const latest = await r.latestOfIssue('web', '42');
      expect(latest.map((e) => e.id).sort()).to.deep.equal([newestA.id, onlyB.id].sort());
      expect(await r.latestOfIssue('web', 'none')).to.deep.equal([]);
    });

    it('keeps every earlier result of a pair readable after newer ones', async () => {
      const r = await repo();
      const versions = [];
      for (let i = 0; i < 3; i++) {
        const e = envelope({ result: { status: 'success', n: i } });
        versions.push(e);
        await r.insert(e);
      }
      for (const e of versions) expect((await r.get(e.id))?.result).to.deep.equal(e.result);
    });

    it('completes concurrent inserts of one pair in call order', async () => {
      const r = await repo();
      const batch = Array.from({ length: 8 }, (_, i) => envelope({ result: { status: 'success', n: i } }));
      await Promise.all(batch.map((e) => r.insert(e)));
      const [latest] = await r.latestOfIssue('web', '42');
      expect(latest?.id).to.equal(batch[7]!.id);
      expect((await r.find({}, 100)).results.map((e) => e.id)).to.deep.equal([...batch].reverse().map((e) => e.id));
    });

    it('deletes what was stored before a cutoff, and nothing after it', async () => {
      const r = await repo();
      const now = Date.now();
      const old = envelope({ atMs: now - 10 * 86_400_000, agent_type: 'old-type' });
      const fresh = envelope({ atMs: now });
      await r.insert(old);
      await r.insert(fresh);
      expect(await r.deleteStoredBefore(now - 86_400_000)).to.equal(1);
      expect(await r.get(old.id)).to.equal(undefined);
      expect((await r.get(fresh.id))?.id).to.equal(fresh.id);
      expect(r.stats()).to.include({ results_stored: 1, expired_removed: 1 });
      expect(await r.deleteStoredBefore(now - 86_400_000)).to.equal(0);
    });

    it('keeps results across a reopen', async function () {
      if (!harness.reopen) this.skip();
      const r = await repo();
      const a = envelope();
      const b = envelope({ agent_type: 'test-engineer' });
      await r.insert(a);
      await r.insert(b);
      await r.close();
      open.splice(open.indexOf(r), 1);
      const again = await harness.reopen(r);
      open.push(again);
      expect(again.newestId()).to.equal(b.id);
      expect((await again.get(a.id))?.result).to.deep.equal(a.result);
      expect((await again.find({}, 10)).results.map((e) => e.id)).to.deep.equal([b.id, a.id]);
    });

    it('refuses inserts once closed', async () => {
      const r = await repo();
      await r.close();
      let err: (Error & { code?: string }) | undefined;
      try {
        await r.insert(envelope());
      } catch (e) {
        err = e as Error;
      }
      expect(err?.code).to.equal('STR_001');
      expect(r.health()).to.equal('down');
    });
  });
}
