import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FileIssueRepository } from '../../src/issues/file-issue-repository.js';
import { IssueRegistry } from '../../src/issues/issue-registry.js';
import type { IssueRepository } from '../../src/issues/issue-repository.js';
import { issue, issueRepositoryContract } from '../contract/issue-repository.contract.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const dirs: string[] = [];
const storageOf = new WeakMap<IssueRepository, string>();

issueRepositoryContract('files', {
  async open() {
    const dir = await makeTempDir('cco-issues-');
    dirs.push(dir);
    const repo = await FileIssueRepository.open({ storagePath: dir });
    storageOf.set(repo, dir);
    return repo;
  },
  async reopen(repo) {
    await repo.close();
    const dir = storageOf.get(repo)!;
    const again = await FileIssueRepository.open({ storagePath: dir });
    storageOf.set(again, dir);
    return again;
  },
  async cleanup() {
    for (const dir of dirs.splice(0)) await removeDir(dir);
  },
});

describe('FileIssueRepository', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('cco-issues-file-');
  });
  afterEach(() => removeDir(dir));

  it('opens past a revision file that does not parse (renamed to .corrupt) and leftover temp files', async () => {
    const repo = await FileIssueRepository.open({ storagePath: dir });
    await repo.put(issue());
    await repo.put(issue({ revision: 2, title: 'two' }));
    await repo.close();
    const issueDir = path.join(dir, 'issues', 'web', 'ISSUE-1');
    await fsp.writeFile(path.join(issueDir, '00000002.json'), '{"record": {"issue_id": "ISSUE-1", "tit');
    await fsp.writeFile(path.join(issueDir, '.00000003.json.123.abc.tmp'), 'partial');
    const again = await FileIssueRepository.open({ storagePath: dir });
    expect(again.openReport).to.include({ issues_loaded: 1, corrupt_files: 1 });
    expect((await again.head('web', 'ISSUE-1'))!.record.title).to.equal('Fix login');
    expect((await fsp.readdir(issueDir)).sort()).to.deep.equal(['00000001.json', '00000002.json.corrupt']);
    // The next write takes the freed revision number.
    expect(await again.put(issue({ revision: 2, title: 'two again' }))).to.equal(true);
    await again.close();
  });

  it('refuses a revision file whose content names another issue than its path', async () => {
    const repo = await FileIssueRepository.open({ storagePath: dir });
    await repo.put(issue());
    await repo.close();
    const planted = path.join(dir, 'issues', 'web', 'OTHER');
    await fsp.mkdir(planted, { mode: 0o700 });
    await fsp.copyFile(path.join(dir, 'issues', 'web', 'ISSUE-1', '00000001.json'), path.join(planted, '00000001.json'));
    const again = await FileIssueRepository.open({ storagePath: dir });
    expect(await again.head('web', 'OTHER')).to.equal(undefined);
    expect(again.openReport.corrupt_files).to.equal(1);
    await again.close();
  });

  it('never writes through a symbolic link planted in the issue tree (507/500 STR_001, nothing stored)', async () => {
    const repo = await FileIssueRepository.open({ storagePath: dir });
    const outside = await makeTempDir('cco-outside-');
    try {
      await fsp.mkdir(path.join(dir, 'issues', 'web'), { mode: 0o700 });
      await fsp.symlink(outside, path.join(dir, 'issues', 'web', 'ISSUE-1'));
      let code: string | undefined;
      await repo.put(issue()).catch((err: { code?: string }) => {
        code = err.code;
      });
      expect(code).to.equal('STR_001');
      expect(await fsp.readdir(outside)).to.deep.equal([]);
      expect(repo.health()).to.equal('degraded');
    } finally {
      await repo.close();
      await removeDir(outside);
    }
  });

  it('answers 507 STR_001 on a full disk and keeps the previous head', async () => {
    let full = false;
    const repo = await FileIssueRepository.open({
      storagePath: dir,
      writeFile: async (file, data) => {
        if (full) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
        await fsp.writeFile(file, data, { mode: 0o600 });
      },
    });
    const registry = new IssueRegistry(repo);
    await registry.put('web', 'ISSUE-1', { title: 'one' });
    full = true;
    const err = await registry.put('web', 'ISSUE-1', { title: 'two' }).catch((e: { status?: number; code?: string }) => e);
    expect(err).to.include({ status: 507, code: 'STR_001' });
    expect((await registry.get('web', 'ISSUE-1'))!.title).to.equal('one');
    await registry.close();
  });
});

describe('IssueRegistry', () => {
  let dir: string;
  let registry: IssueRegistry;
  let clock: number;
  beforeEach(async () => {
    dir = await makeTempDir('cco-issues-reg-');
    clock = Date.parse('2026-12-01T10:00:00.000Z');
    registry = new IssueRegistry(await FileIssueRepository.open({ storagePath: dir }), { now: () => clock });
  });
  afterEach(async () => {
    await registry.close();
    await removeDir(dir);
  });

  it('loses no update among concurrent writers: every write gets its own revision', async () => {
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => registry.put('web', 'RACE', { title: `writer ${i}` })));
    expect(outcomes.map((o) => o.issue.revision).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 1));
    expect((await registry.history('web', 'RACE')).map((h) => h.record.title).sort()).to.deep.equal(outcomes.map((o) => o.issue.title).sort());
  });

  it('creates from a task only when absent (a deleted issue counts as absent) and never overwrites', async () => {
    expect((await registry.createIfAbsent('web', 'T-1', { title: 'first' })).action).to.equal('created');
    const second = await registry.createIfAbsent('web', 'T-1', { title: 'second' });
    expect(second).to.deep.include({ action: 'unchanged' });
    expect(second.issue.title).to.equal('first');
    await registry.delete('web', 'T-1');
    const third = await registry.createIfAbsent('web', 'T-1', { title: 'third' });
    expect(third.action).to.equal('created');
    expect(third.issue.revision).to.equal(3);
  });

  it('never moves updated_at backwards when the clock does, and notifies every stored change once', async () => {
    const changes: string[] = [];
    registry.onChanged((c) => changes.push(`${c.action}:${c.revision}`));
    const one = await registry.put('web', 'C-1', { title: 'one' });
    clock -= 60_000;
    const two = await registry.put('web', 'C-1', { title: 'two' });
    expect(two.issue.updated_at).to.equal(one.issue.updated_at);
    await registry.put('web', 'C-1', { title: 'two' });
    await registry.delete('web', 'C-1');
    expect(changes).to.deep.equal(['created:1', 'updated:2', 'deleted:3']);
  });

  it('checks input itself for callers other than the HTTP edge (400 REQ_001 with field paths)', async () => {
    const err = await registry
      .put('web', 'X', { title: '', labels: ['a,b'] })
      .catch((e: { code?: string; details?: { issues: Array<{ path: string }> } }) => e);
    expect(err).to.have.property('code', 'REQ_001');
    expect((err as { details: { issues: Array<{ path: string }> } }).details.issues.map((i) => i.path)).to.include.members(['title', 'labels.0']);
    const badId = await registry.get('web', '../etc').catch((e: { code?: string }) => e);
    expect(badId).to.have.property('code', 'REQ_001');
    expect(await registry.lookup('web', '../etc')).to.equal(null);
  });
});
