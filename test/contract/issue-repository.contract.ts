import { expect } from 'chai';
import type { IssueRecord } from '../../src/issues/issue-record.js';
import type { IssueRepository } from '../../src/issues/issue-repository.js';

/** How the suite gets repositories of one implementation. */
export interface IssueRepositoryHarness {
  /** A fresh, empty repository. */
  open(): Promise<IssueRepository>;
  /** The same stored data opened again (durable repositories). */
  reopen?: (repo: IssueRepository) => Promise<IssueRepository>;
  cleanup(): Promise<void>;
}

export function issue(over: Partial<IssueRecord> = {}): IssueRecord {
  const at = over.updated_at ?? '2026-12-01T10:00:00.000Z';
  return {
    issue_id: 'ISSUE-1',
    project_id: 'web',
    title: 'Fix login',
    description: 'It breaks',
    labels: ['auth'],
    files: ['src/login.py'],
    acceptance: null,
    created_at: at,
    updated_at: at,
    revision: 1,
    ...over,
  };
}

/**
 * The behaviour every `IssueRepository` must show (file tree now, PostgreSQL next). Run it from
 * a `*.test.ts` next to the implementation.
 */
export function issueRepositoryContract(name: string, harness: IssueRepositoryHarness): void {
  describe(`IssueRepository contract: ${name}`, () => {
    const open: IssueRepository[] = [];
    const repo = async (): Promise<IssueRepository> => {
      const r = await harness.open();
      open.push(r);
      return r;
    };
    afterEach(async () => {
      for (const r of open.splice(0)) await r.close();
    });
    after(() => harness.cleanup());

    it('stores revision 1 of a new issue and gives it back as the head; unknown issues have none', async () => {
      const r = await repo();
      expect(await r.head('web', 'ISSUE-1')).to.equal(undefined);
      expect(await r.put(issue())).to.equal(true);
      expect(await r.head('web', 'ISSUE-1')).to.deep.equal({ record: issue(), deleted_at: null });
      expect(await r.head('other', 'ISSUE-1')).to.equal(undefined);
      expect(await r.history('web', 'NOPE')).to.deep.equal([]);
    });

    it('is a compare-and-set: a revision that is not the next one is refused and stores nothing', async () => {
      const r = await repo();
      expect(await r.put(issue({ revision: 2 }))).to.equal(false);
      expect(await r.put(issue())).to.equal(true);
      expect(await r.put(issue({ title: 'again 1' }))).to.equal(false);
      expect(await r.put(issue({ revision: 3 }))).to.equal(false);
      expect(await r.put(issue({ revision: 2, title: 'second' }))).to.equal(true);
      expect((await r.head('web', 'ISSUE-1'))!.record.title).to.equal('second');
      // Concurrent writers of the same revision: exactly one wins.
      const racers = await Promise.all([1, 2, 3, 4].map((n) => r.put(issue({ revision: 3, title: `racer ${n}` }))));
      expect(racers.filter(Boolean)).to.have.length(1);
    });

    it('stores a deletion as a revision, keeps every revision in history, and continues after it', async () => {
      const r = await repo();
      await r.put(issue());
      await r.put(issue({ revision: 2, title: 'two' }));
      expect(await r.delete(issue({ revision: 2, title: 'two' }), '2026-12-01T11:00:00.000Z')).to.equal(false);
      expect(await r.delete(issue({ revision: 3, title: 'two' }), '2026-12-01T11:00:00.000Z')).to.equal(true);
      expect(await r.head('web', 'ISSUE-1')).to.deep.equal({ record: issue({ revision: 3, title: 'two' }), deleted_at: '2026-12-01T11:00:00.000Z' });
      expect(await r.put(issue({ revision: 4, title: 'four' }))).to.equal(true);
      const history = await r.history('web', 'ISSUE-1');
      expect(history.map((h) => [h.record.revision, h.record.title, h.deleted_at])).to.deep.equal([
        [1, 'Fix login', null],
        [2, 'two', null],
        [3, 'two', '2026-12-01T11:00:00.000Z'],
        [4, 'four', null],
      ]);
    });

    it('lists live issues of one project in id order, after a cursor, with a label, and says when more remain', async () => {
      const r = await repo();
      for (const id of ['b', 'a', 'd', 'c', 'e']) await r.put(issue({ issue_id: id, labels: id === 'b' || id === 'd' ? ['even'] : [] }));
      await r.put(issue({ issue_id: 'z', project_id: 'other' }));
      await r.delete(issue({ issue_id: 'e', revision: 2 }), '2026-12-01T11:00:00.000Z');
      const first = await r.listPage({ project_id: 'web' }, 2);
      expect(first.issues.map((i) => i.issue_id)).to.deep.equal(['a', 'b']);
      expect(first.more).to.equal(true);
      const rest = await r.listPage({ project_id: 'web', after: 'b' }, 10);
      expect(rest.issues.map((i) => i.issue_id)).to.deep.equal(['c', 'd']);
      expect(rest.more).to.equal(false);
      expect((await r.listPage({ project_id: 'web', label: 'even' }, 10)).issues.map((i) => i.issue_id)).to.deep.equal(['b', 'd']);
      expect(await r.listPage({ project_id: 'none' }, 10)).to.deep.equal({ issues: [], more: false });
    });

    it('keeps what it stored when opened again', async function () {
      if (!harness.reopen) this.skip();
      const r = await repo();
      await r.put(issue());
      await r.put(issue({ revision: 2, description: 'longer', labels: ['a', 'b'], acceptance: 'done when green' }));
      const again = await harness.reopen(r);
      open.push(again);
      expect(await again.head('web', 'ISSUE-1')).to.deep.equal({
        record: issue({ revision: 2, description: 'longer', labels: ['a', 'b'], acceptance: 'done when green' }),
        deleted_at: null,
      });
      expect((await again.history('web', 'ISSUE-1')).map((h) => h.record.revision)).to.deep.equal([1, 2]);
    });
  });
}
