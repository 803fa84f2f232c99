import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../src/errors/index.js';
import type { FileResultStore } from '../../src/results/file-result-store.js';
import type { ResultEnvelope } from '../../src/results/result-store.js';
import { input, openStore, tempStorage, tree } from './helpers.js';

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe('FileResultStore', () => {
  let storage: string;
  let store: FileResultStore | undefined;
  let results: string;

  beforeEach(async () => {
    storage = await tempStorage();
    results = path.join(storage, 'results');
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    await fsp.rm(storage, { recursive: true, force: true });
  });

  describe('layout', () => {
    it('keeps the latest at <project>/<issue>/<agent_type>.json and every earlier one in history', async () => {
      store = await openStore(storage);
      const a = await store.store(input({ result: { status: 'partial', n: 1 } }));
      const b = await store.store(input({ result: { status: 'failed', n: 2 } }));
      const c = await store.store(input({ result: { status: 'success', n: 3 } }));

      const latest = path.join(results, 'web', '42', 'python-specialist.json');
      expect(c.storage_path).to.equal(latest);
      expect(await tree(path.join(results, 'web'))).to.deep.equal([
        `42/history/python-specialist/${a.id}.json`,
        `42/history/python-specialist/${b.id}.json`,
        '42/python-specialist.json',
      ]);
      const onDisk = JSON.parse(await fsp.readFile(latest, 'utf8')) as Record<string, unknown>;
      expect(onDisk).to.deep.equal({
        id: c.id,
        agent_id: 'agent-1',
        agent_type: 'python-specialist',
        issue_id: '42',
        project_id: 'web',
        result: { status: 'success', n: 3 },
        timestamp: c.stored_at,
        stored_at: c.stored_at,
      });
      expect((await store.get(a.id))?.storage_path).to.equal(path.join(results, 'web', '42', 'history', 'python-specialist', `${a.id}.json`));
      expect((await store.get(a.id))?.result).to.deep.equal({ status: 'partial', n: 1 });
      expect((await fsp.stat(latest)).mode & 0o777).to.equal(0o600);
      expect((await fsp.stat(path.join(results, 'web', '42', 'history'))).mode & 0o777).to.equal(0o700);
      expect((await fsp.stat(results)).mode & 0o777).to.equal(0o700);
    });

    it('returns the envelope with ids sortable by store time', async () => {
      store = await openStore(storage);
      const e = await store.store(input({ timestamp: '2026-01-02T03:04:05+02:00' }));
      expect(Object.keys(e)).to.deep.equal(['id', 'agent_id', 'agent_type', 'issue_id', 'project_id', 'result', 'timestamp', 'stored_at', 'storage_path']);
      expect(e.id).to.match(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(e.timestamp).to.equal('2026-01-02T01:04:05.000Z');
      const f = await store.store(input({ agent_type: 'test-engineer' }));
      expect(f.id > e.id).to.equal(true);
    });

    it('keeps all 50 concurrent writes for one pair and the last stored one is the latest', async () => {
      store = await openStore(storage);
      const s = store;
      const finished: ResultEnvelope[] = [];
      const all = await Promise.all(
        Array.from({ length: 50 }, (_, n) =>
          s.store(input({ agent_id: `agent-${n}`, result: { status: 'success', n } })).then((e) => {
            finished.push(e);
            return e;
          }),
        ),
      );
      expect(new Set(all.map((e) => e.id)).size).to.equal(50);
      const last = finished[finished.length - 1] as ResultEnvelope;
      // Queued in call order: ids follow n, and the latest file is the last one stored.
      expect(all.map((e) => e.id)).to.deep.equal([...all.map((e) => e.id)].sort());
      expect(last.id).to.equal(all[49]?.id);
      const latest = JSON.parse(await fsp.readFile(path.join(results, 'web', '42', 'python-specialist.json'), 'utf8')) as { id: string };
      expect(latest.id).to.equal(last.id);
      expect(await fsp.readdir(path.join(results, 'web', '42', 'history', 'python-specialist'))).to.have.length(49);
      const page = await s.query({ issue_id: '42', project_id: 'web', limit: 1000 });
      expect(page.results.map((r) => r.result.n).sort((x, y) => Number(x) - Number(y))).to.deep.equal(Array.from({ length: 50 }, (_, n) => n));
      expect(s.stats().results_stored).to.equal(50);
    });

    it('reads the same envelopes from disk when the cache is off, and shares cached ones read-only', async () => {
      store = await openStore(storage, { cacheBytes: 0 });
      const a = await store.store(input({ result: { status: 'success', list: [1] } }));
      const b = await store.store(input());
      expect((await store.get(a.id))?.storage_path).to.match(/history\/python-specialist\/[0-9A-Z]{26}\.json$/);
      expect((await store.query({})).results.map((r) => r.id)).to.deep.equal([b.id, a.id]);
      await store.close();
      store = await openStore(storage);
      const cached = await store.get(a.id);
      expect(await store.get(a.id)).to.deep.equal(cached);
      expect(() => (cached?.result.list as number[]).push(2)).to.throw(TypeError);
    });

    it('leaves no temp files after writes', async () => {
      store = await openStore(storage);
      const s = store;
      await Promise.all(Array.from({ length: 20 }, (_, n) => s.store(input({ agent_type: `t${n % 3}-specialist` }))));
      const files = await tree(results);
      expect(files.filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
      expect(files).to.have.length(20);
    });
  });

  describe('symlinks', () => {
    let outside: string;
    beforeEach(async () => {
      outside = await tempStorage();
      await fsp.writeFile(path.join(outside, 'victim.json'), 'original');
    });
    afterEach(async () => {
      await fsp.rm(outside, { recursive: true, force: true });
    });

    it('does not write through a symlink planted at the latest file', async () => {
      store = await openStore(storage);
      const first = await store.store(input());
      const latest = path.join(results, 'web', '42', 'python-specialist.json');
      await fsp.rm(latest);
      await fsp.symlink(path.join(outside, 'victim.json'), latest);

      const second = await store.store(input({ result: { status: 'success', n: 2 } }));
      expect(await fsp.readFile(path.join(outside, 'victim.json'), 'utf8')).to.equal('original');
      expect((await fsp.lstat(latest)).isFile()).to.equal(true);
      expect((await store.get(second.id))?.result.n).to.equal(2);
      // The planted link replaced the first result's file; the index must not serve the wrong file for it.
      expect(await store.get(first.id)).to.equal(undefined);
      expect(store.stats().quarantined).to.equal(1);
    });

    it('does not write through a symlink planted before the first write', async () => {
      store = await openStore(storage);
      await fsp.mkdir(path.join(results, 'web', '42'), { recursive: true });
      await fsp.symlink(path.join(outside, 'victim.json'), path.join(results, 'web', '42', 'python-specialist.json'));
      await store.store(input());
      expect(await fsp.readFile(path.join(outside, 'victim.json'), 'utf8')).to.equal('original');
    });

    for (const planted of [['web'], ['web', '42'], ['web', '42', 'history'], ['web', '42', 'history', 'python-specialist']]) {
      it(`refuses a symlink at ${planted.join('/')} in the directory path`, async () => {
        store = await openStore(storage);
        if (planted.length > 1) await fsp.mkdir(path.join(results, ...planted.slice(0, -1)), { recursive: true });
        if (planted.length > 2) await fsp.writeFile(path.join(results, 'web', '42', 'python-specialist.json'), '{}');
        await fsp.symlink(outside, path.join(results, ...planted));
        const s = store;
        const err = await rejection(
          (async () => {
            // A history dir is needed only once a latest exists, which the first store creates.
            await s.store(input()).catch(() => undefined);
            await s.store(input());
          })(),
        );
        expect(err.code).to.equal('STR_001');
        expect(err.status).to.equal(500);
        expect(err.message).to.not.include(storage);
        expect(await fsp.readdir(outside)).to.deep.equal(['victim.json']);
      });
    }

    it('refuses to open when the results directory is a symlink', async () => {
      await fsp.symlink(outside, results);
      let failed = false;
      await openStore(storage).catch(() => {
        failed = true;
      });
      expect(failed).to.equal(true);
    });
  });

  describe('restart', () => {
    it('rebuilds the index from the tree after reopening', async () => {
      store = await openStore(storage);
      const stored: ResultEnvelope[] = [];
      for (const [issue, type] of [
        ['1', 'a-specialist'],
        ['1', 'a-specialist'],
        ['1', 'test-engineer'],
        ['2', 'a-specialist'],
        ['2', 'security-auditor'],
      ] as const) {
        stored.push(await store.store(input({ issue_id: issue, agent_type: type })));
      }
      const before = await store.query({ limit: 100 });
      const sizeBefore = store.stats().total_size_bytes;
      await store.close();

      // Reopen with a clock one hour earlier: new ids must still sort after the old ones.
      const now = Date.now() - 3_600_000;
      store = await openStore(storage, { now: () => now });
      expect(store.openReport.results_indexed).to.equal(5);
      expect(store.openReport.quarantined).to.deep.equal([]);
      expect(await store.query({ limit: 100 })).to.deep.equal(before);
      expect(store.stats().total_size_bytes).to.equal(sizeBefore);
      expect(await store.get(stored[0]?.id as string)).to.deep.equal(before.results.find((r) => r.id === stored[0]?.id));
      const next = await store.store(input({ issue_id: '1', agent_type: 'a-specialist' }));
      expect(next.id > (stored[4]?.id as string)).to.equal(true);
      expect(await tree(path.join(results, 'web', '1', 'history'))).to.have.length(2);
      expect((await store.query({ issue_id: '1', project_id: 'web', agent_type: 'a-specialist', latest: true })).results.map((r) => r.id)).to.deep.equal([
        next.id,
      ]);
    });

    it('quarantines torn, garbage and misplaced files at open, reports them and keeps going', async () => {
      store = await openStore(storage);
      const good = await store.store(input());
      const other = await store.store(input({ issue_id: '7', agent_type: 'test-engineer' }));
      await store.close();

      const issueDir = path.join(results, 'web', '42');
      const full = await fsp.readFile(path.join(issueDir, 'python-specialist.json'), 'utf8');
      await fsp.writeFile(path.join(issueDir, 'test-engineer.json'), full.slice(0, 40)); // torn
      await fsp.mkdir(path.join(issueDir, 'history', 'docs-writer'), { recursive: true });
      await fsp.writeFile(path.join(issueDir, 'history', 'docs-writer', '01ARZ3NDEKTSV4RRFFQ69G5FAV.json'), '\u0000\u0001garbage');
      await fsp.writeFile(path.join(issueDir, 'empty-specialist.json'), '');
      await fsp.writeFile(path.join(issueDir, 'security-auditor.json'), full); // valid JSON, wrong place
      await fsp.writeFile(path.join(issueDir, 'notes.txt'), 'hello');
      await fsp.writeFile(path.join(issueDir, 'schema-specialist.json'), JSON.stringify({ id: 'x' }));
      await fsp.symlink('/etc/passwd', path.join(issueDir, 'link-specialist.json'));
      await fsp.mkdir(path.join(results, 'bad name'));
      await fsp.writeFile(path.join(issueDir, '.python-specialist.json.123.abcdef.tmp'), '{"torn"');

      store = await openStore(storage);
      const report = store.openReport;
      const reasons = Object.fromEntries(report.quarantined.map((q) => [q.path, q.reason]));
      expect(reasons).to.have.keys(
        'web/42/test-engineer.json',
        'web/42/history/docs-writer/01ARZ3NDEKTSV4RRFFQ69G5FAV.json',
        'web/42/empty-specialist.json',
        'web/42/security-auditor.json',
        'web/42/notes.txt',
        'web/42/schema-specialist.json',
        'web/42/link-specialist.json',
        'bad name',
      );
      expect(reasons['web/42/test-engineer.json']).to.match(/unparseable/);
      expect(reasons['web/42/empty-specialist.json']).to.equal('empty file');
      expect(reasons['web/42/security-auditor.json']).to.equal('envelope does not match its location');
      expect(reasons['web/42/schema-specialist.json']).to.match(/^not a result envelope/);
      expect(reasons['web/42/link-specialist.json']).to.equal('symbolic link');
      expect(report.temp_files_removed).to.equal(1);
      expect(report.results_indexed).to.equal(2);
      expect(store.stats().quarantined).to.equal(8);
      expect(await fsp.readdir(path.join(results, '.quarantine'))).to.have.length(8);
      expect(await tree(issueDir)).to.deep.equal(['python-specialist.json']);
      expect((await store.get(good.id))?.id).to.equal(good.id);
      expect((await store.get(other.id))?.id).to.equal(other.id);
    });
  });

  describe('query', () => {
    let all: ResultEnvelope[];
    beforeEach(async () => {
      store = await openStore(storage);
      all = [];
      const statuses = ['success', 'failed', 'partial'] as const;
      for (let n = 0; n < 23; n++) {
        all.push(
          await store.store(
            input({
              issue_id: n % 2 ? 'odd' : 'even',
              agent_type: ['python-specialist', 'test-engineer', 'security-auditor'][n % 3] as string,
              result: { status: statuses[n % 3] ?? 'success', n },
              timestamp: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
            }),
          ),
        );
      }
      await store.store(input({ project_id: 'other', issue_id: 'odd' }));
    });

    it('pages newest first with a stable cursor, without duplicates or misses', async () => {
      const s = store as FileResultStore;
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.query({ project_id: 'web', limit: 4, cursor });
        seen.push(...page.results.map((r) => r.id));
        // Results stored while paging are newer than the cursor, so they cannot shift later pages.
        if (pages === 1) await s.store(input({ issue_id: 'odd' }));
        cursor = page.next_cursor ?? undefined;
        expect(page.next_cursor === null || typeof page.next_cursor === 'string').to.equal(true);
        pages++;
      } while (cursor);
      expect(pages).to.equal(6);
      expect(seen).to.deep.equal(all.map((r) => r.id).reverse());
    });

    it('filters by issue, agent type, status, time and latest', async () => {
      const s = store as FileResultStore;
      const ids = async (q: Parameters<FileResultStore['query']>[0]): Promise<number[]> =>
        (await s.query({ project_id: 'web', limit: 1000, ...q })).results.map((r) => r.result.n as number);
      const expected = (f: (e: ResultEnvelope) => boolean): number[] =>
        all
          .filter(f)
          .map((e) => e.result.n as number)
          .reverse();

      expect(await ids({ issue_id: 'odd' })).to.deep.equal(expected((e) => e.issue_id === 'odd'));
      expect(await ids({ agent_type: 'test-engineer' })).to.deep.equal(expected((e) => e.agent_type === 'test-engineer'));
      expect(await ids({ status: 'failed' })).to.deep.equal(expected((e) => e.result.status === 'failed'));
      expect(await ids({ issue_id: 'even', agent_type: 'security-auditor' })).to.deep.equal(
        expected((e) => e.issue_id === 'even' && e.agent_type === 'security-auditor'),
      );
      expect(await ids({ since: '2026-01-01T00:05:00Z', until: '2026-01-01T00:09:00Z' })).to.deep.equal([8, 7, 6, 5]);
      // One result per (issue, agent type): the newest of each of the 6 pairs.
      expect(await ids({ latest: true })).to.deep.equal([22, 21, 20, 19, 18, 17]);
      expect(await ids({ latest: true, status: 'success' })).to.deep.equal(expected((e) => (e.result.n as number) >= 17 && e.result.status === 'success'));
      expect((await s.query({})).results).to.have.length(24);
      expect((await s.query({ project_id: 'other' })).results).to.have.length(1);
    });

    it('rejects a bad cursor, limit or date as REQ_001 with field paths', async () => {
      const s = store as FileResultStore;
      for (const [q, field] of [
        [{ cursor: 'garbage' }, 'cursor'],
        [{ limit: 0 }, 'limit'],
        [{ limit: 1001 }, 'limit'],
        [{ since: 'yesterday' }, 'since'],
      ] as const) {
        const err = await rejection(s.query(q));
        expect(err.code).to.equal('REQ_001');
        expect((err.details.issues as Array<{ path: string }>).map((i) => i.path)).to.deep.equal([field]);
      }
    });

    it('gets one result by id and answers undefined for unknown or malformed ids', async () => {
      const s = store as FileResultStore;
      const one = all[3] as ResultEnvelope;
      const got = await s.get(one.id);
      expect(got?.result).to.deep.equal(one.result);
      expect(got?.id).to.equal(one.id);
      expect(await s.get('01ARZ3NDEKTSV4RRFFQ69G5FAV')).to.equal(undefined);
      expect(await s.get('../../etc/passwd')).to.equal(undefined);
    });

    it('summarises the newest result of each agent type as previous outputs', async () => {
      const s = store as FileResultStore;
      await s.store(
        input({
          issue_id: 'odd',
          agent_type: 'test-engineer',
          agent_id: 'qa-7',
          timestamp: '2026-02-01T00:00:00Z',
          result: {
            status: 'success',
            decisions: [{ decision: 'Use pytest', rationale: 'already in the repo' }, 'Skip e2e'],
            files_created: ['tests/a.py'],
            files_modified: [{ path: 'src/a.py' }, 'tests/a.py'],
            files_deleted: ['old.py'],
          },
        }),
      );
      const outputs = await s.previousOutputs('web', 'odd');
      expect(outputs.map((o) => o.agent_type)).to.deep.equal(['security-auditor', 'python-specialist', 'test-engineer']);
      expect(outputs[2]).to.deep.include({
        agent: 'qa-7',
        agent_type: 'test-engineer',
        status: 'success',
        timestamp: '2026-02-01T00:00:00.000Z',
        decision: 'Use pytest; Skip e2e',
        rationale: 'already in the repo',
        files_affected: ['tests/a.py', 'src/a.py', 'old.py'],
      });
      expect(await s.previousOutputs('web', 'nothing')).to.deep.equal([]);
    });
  });

  describe('retention', () => {
    it('removes results older than the retention period, at open and when swept', async () => {
      let now = Date.UTC(2026, 0, 1);
      const day = 86_400_000;
      store = await openStore(storage, { now: () => now });
      const old1 = await store.store(input());
      const old2 = await store.store(input({ agent_type: 'test-engineer' }));
      now += 20 * day;
      const fresh = await store.store(input());
      now += 11 * day;
      expect(await store.sweepExpired()).to.equal(2);
      expect(await store.get(old1.id)).to.equal(undefined);
      expect(await store.get(old2.id)).to.equal(undefined);
      expect((await store.query({})).results.map((r) => r.id)).to.deep.equal([fresh.id]);
      expect(await tree(path.join(results, 'web'))).to.deep.equal(['42/python-specialist.json']);
      expect(store.stats()).to.deep.include({ results_stored: 1, expired_removed: 2 });
      await store.close();

      now += 30 * day;
      store = await openStore(storage, { now: () => now });
      expect(store.openReport.expired_removed).to.equal(1);
      expect(store.stats().results_stored).to.equal(0);
      expect(await tree(path.join(results, 'web'))).to.deep.equal([]);
    });

    it("sweeps periodically on an unref'd timer", async () => {
      let now = Date.now();
      store = await openStore(storage, { now: () => now, sweepIntervalMs: 20, retentionDays: 1 });
      await store.store(input());
      now += 2 * 86_400_000;
      const deadline = Date.now() + 5_000;
      while (store.stats().results_stored > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(store.stats().results_stored).to.equal(0);
    });
  });

  describe('validation', () => {
    const bad = ['..', '../etc', 'a/b', '..%2F..', 'a\u0000b', '/etc/passwd', 'x'.repeat(300), '', '.hidden', 'a b'];
    for (const field of ['issue_id', 'agent_type', 'project_id'] as const) {
      it(`rejects unsafe ${field} values with REQ_001 and writes nothing`, async () => {
        store = await openStore(storage);
        for (const value of bad) {
          const err = await rejection(store.store(input({ [field]: value })));
          expect(err.code, JSON.stringify(value)).to.equal('REQ_001');
          expect((err.details.issues as Array<{ path: string }>).map((i) => i.path)).to.include(field);
        }
        expect(await tree(results)).to.deep.equal([]);
        expect(await fsp.readdir(results)).to.deep.equal(['.quarantine']);
      });
    }

    it('rejects a missing or unknown status and a bad timestamp', async () => {
      store = await openStore(storage);
      const s = store;
      const paths = async (over: object): Promise<string[]> =>
        ((await rejection(s.store({ ...input(), ...over }))).details.issues as Array<{ path: string }>).map((i) => i.path);
      expect(await paths({ result: {} })).to.deep.equal(['result.status']);
      expect(await paths({ result: { status: 'done' } })).to.deep.equal(['result.status']);
      expect(await paths({ timestamp: 'not a date' })).to.deep.equal(['timestamp']);
      expect(await paths({ agent_id: '' })).to.include('agent_id');
    });
  });

  describe('failures', () => {
    it('maps ENOSPC to 507 STR_001 and keeps the previous result', async () => {
      let full = false;
      const { writeFileAtomic } = await import('../../src/storage/atomic-write.js');
      store = await openStore(storage, {
        writeFile: async (file, data) => {
          if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          await writeFileAtomic(file, data);
        },
      });
      const first = await store.store(input());
      full = true;
      const err = await rejection(store.store(input()));
      expect([err.status, err.code]).to.deep.equal([507, 'STR_001']);
      expect(store.health()).to.equal('degraded');
      expect(store.stats().results_stored).to.equal(1);
      expect((await store.get(first.id))?.id).to.equal(first.id);
      full = false;
      const third = await store.store(input());
      expect(store.health()).to.equal('ok');
      expect((await store.query({})).results.map((r) => r.id)).to.deep.equal([third.id, first.id]);
      expect((await tree(results)).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
    });

    it('answers 507 on a really full disk and leaves no partial file (tmpfs, needs root)', async function () {
      const mnt = await tempStorage();
      try {
        const { execFileSync } = await import('node:child_process');
        try {
          execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'ignore' });
        } catch {
          this.skip();
        }
        try {
          const s = await openStore(mnt);
          const small = await s.store(input());
          const err = await rejection(s.store(input({ result: { status: 'success', blob: 'x'.repeat(400_000) } })));
          expect([err.status, err.code]).to.deep.equal([507, 'STR_001']);
          const files = await tree(path.join(mnt, 'results'));
          expect(files.filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
          expect((await s.get(small.id))?.id).to.equal(small.id);
          await s.close();
        } finally {
          execFileSync('umount', [mnt], { stdio: 'ignore' });
        }
      } finally {
        await fsp.rm(mnt, { recursive: true, force: true });
      }
    });

    it('reports health, and refuses writes once closed', async () => {
      store = await openStore(storage);
      expect(store.health()).to.equal('ok');
      await store.close();
      expect(store.health()).to.equal('down');
      expect((await rejection(store.store(input()))).code).to.equal('STR_001');
    });
  });
});
