import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import pgClient from 'pg';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';
import { startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';

const ISSUE_KEYS = ['issue_id', 'project_id', 'title', 'description', 'labels', 'files', 'acceptance', 'created_at', 'updated_at', 'revision'];

let pg: PostgresServer | undefined;
after(async () => {
  await pg?.destroy();
});

// One suite, both backends: the embedded file tree and PostgreSQL.
for (const backend of ['files', 'postgres'] as const) {
  describe(`HTTP /api/issues (real sidecar, issues on ${backend})`, () => {
    let s: TestServer;
    let architect: string;
    let coder: string;

    before(async () => {
      // On PostgreSQL: one fresh database per run, shared by nothing else.
      const config =
        backend === 'postgres'
          ? { results: { backend: 'postgres' as const }, postgres: { url: await (pg ??= await startPostgresServer()).createDatabase() } }
          : {};
      s = await startTestServer({ config });
      // Default grants of spec §2: chief-architect may manage issues, a coding agent may only read them.
      architect = await s.tokenFor({ agent_type: 'chief-architect', sub: 'arch-1' });
      coder = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1' });
    });
    after(async () => {
      await s.stop();
    });

    const put = (id: string, body: unknown, token = architect) => s.request('PUT', `/api/issues/${id}`, { token, body });
    const get = (id: string, token = coder) => s.request('GET', `/api/issues/${id}`, { token });
    const paths = (res: { body: { details: { issues: Array<{ path: string }> } } }) => [...new Set(res.body.details.issues.map((i) => i.path))];
    const issueEvents = async (issueId: string) => {
      const res = await s.request('GET', '/api/events?type=issue_updated&limit=1000', { token: s.adminToken });
      expect(res.status, res.text).to.equal(200);
      return (res.body.events as Array<{ topic: string; publisher: string; data: Record<string, unknown> }>).filter((e) => e.data.issue_id === issueId);
    };

    it('creates (201), answers the same text unchanged (200, same revision, no event) and updates (200, revision + 1)', async () => {
      const created = await put('ISSUE-1', {
        title: 'Fix login redirect',
        description: 'After login the user lands on /404.',
        labels: ['auth', 'bug'],
        files: ['src/auth/*.py'],
        acceptance: 'Lands on /home',
      });
      expect(created.status, created.text).to.equal(201);
      expect(created.body).to.have.keys(ISSUE_KEYS);
      expect(created.body).to.deep.include({
        issue_id: 'ISSUE-1',
        project_id: s.config.project_id,
        title: 'Fix login redirect',
        description: 'After login the user lands on /404.',
        labels: ['auth', 'bug'],
        files: ['src/auth/*.py'],
        acceptance: 'Lands on /home',
        revision: 1,
      });
      expect(created.body.created_at).to.equal(created.body.updated_at);

      const same = await put('ISSUE-1', {
        title: 'Fix login redirect',
        description: 'After login the user lands on /404.',
        labels: ['auth', 'bug'],
        files: ['src/auth/*.py'],
        acceptance: 'Lands on /home',
      });
      expect(same.status).to.equal(200);
      expect(same.body).to.deep.equal(created.body);

      const updated = await put('ISSUE-1', { title: 'Fix login redirect', labels: ['auth', 'auth', 'p1'] });
      expect(updated.status).to.equal(200);
      expect(updated.body).to.deep.include({
        revision: 2,
        description: '',
        labels: ['auth', 'p1'],
        files: [],
        acceptance: null,
        created_at: created.body.created_at,
      });
      expect(Date.parse(updated.body.updated_at)).to.be.at.least(Date.parse(created.body.updated_at));

      expect((await get('ISSUE-1')).body).to.deep.equal(updated.body);
      const events = await issueEvents('ISSUE-1');
      expect(events.map((e) => [e.data.action, e.data.revision])).to.deep.equal([
        ['created', 1],
        ['updated', 2],
      ]);
      expect(events[0]).to.deep.include({ topic: 'coordination', publisher: 'arch-1' });
      expect(events[1]!.data).to.deep.equal({
        issue_id: 'ISSUE-1',
        project_id: s.config.project_id,
        revision: 2,
        action: 'updated',
        title: 'Fix login redirect',
        labels: ['auth', 'p1'],
      });
    });

    it('stores each revision (files: its own 0600 file under the storage dir; PostgreSQL: its own row, nothing on disk) and keeps them all', async () => {
      await put('ISSUE-H', { title: 'one' });
      await put('ISSUE-H', { title: 'two' });
      await put('ISSUE-H', { title: 'three' });
      const dir = path.join(s.storage, 'issues', s.config.project_id, 'ISSUE-H');
      if (backend === 'files') {
        expect((await fsp.readdir(dir)).sort()).to.deep.equal(['00000001.json', '00000002.json', '00000003.json']);
        expect((await fsp.stat(path.join(dir, '00000003.json'))).mode & 0o777).to.equal(0o600);
      } else {
        expect(await fsp.stat(dir).catch(() => undefined)).to.equal(undefined);
        const db = new pgClient.Pool({ connectionString: s.config.postgres.url!, max: 1 });
        try {
          const { rows } = await db.query<{ revision: number }>("SELECT revision FROM cco_issue_revisions WHERE issue_id = 'ISSUE-H' ORDER BY revision");
          expect(rows.map((r) => r.revision)).to.deep.equal([1, 2, 3]);
        } finally {
          await db.end();
        }
      }
      const history = await s.request('GET', '/api/issues/ISSUE-H/revisions', { token: coder });
      expect(history.status).to.equal(200);
      expect(history.body.revisions.map((r: { title: string; revision: number; deleted_at: null }) => [r.revision, r.title, r.deleted_at])).to.deep.equal([
        [1, 'one', null],
        [2, 'two', null],
        [3, 'three', null],
      ]);
    });

    it('deletes (history kept, a deletion is a revision), answers 404 afterwards, and a re-created issue continues the revisions', async () => {
      await put('ISSUE-D', { title: 'to delete' });
      const coderDelete = await s.request('DELETE', '/api/issues/ISSUE-D', { token: coder });
      expectContractError(coderDelete, 403, 'AUTH_003');
      const del = await s.request('DELETE', '/api/issues/ISSUE-D', { token: architect });
      expect(del.status, del.text).to.equal(200);
      expect(del.body).to.deep.include({ issue_id: 'ISSUE-D', deleted: true, revision: 2 });
      expectContractError(await get('ISSUE-D'), 404, 'NOT_FOUND');
      expectContractError(await s.request('DELETE', '/api/issues/ISSUE-D', { token: architect }), 404, 'NOT_FOUND');
      expectContractError(await get('NEVER-WAS'), 404, 'NOT_FOUND');
      expectContractError(await s.request('GET', '/api/issues/NEVER-WAS/revisions', { token: coder }), 404, 'NOT_FOUND');

      const again = await put('ISSUE-D', { title: 'back again' });
      expect(again.status).to.equal(201);
      expect(again.body.revision).to.equal(3);
      const history = await s.request('GET', '/api/issues/ISSUE-D/revisions', { token: coder });
      expect(
        history.body.revisions.map((r: { revision: number; title: string; deleted_at: string | null }) => [r.revision, r.title, r.deleted_at !== null]),
      ).to.deep.equal([
        [1, 'to delete', false],
        [2, 'to delete', true],
        [3, 'back again', false],
      ]);
      expect((await issueEvents('ISSUE-D')).map((e) => e.data.action)).to.deep.equal(['created', 'deleted', 'created']);
    });

    it('lists in issue id order, pages with next_cursor without repeats, and filters by label', async () => {
      for (const id of ['L-3', 'L-1', 'L-5', 'L-2', 'L-4']) await put(id, { title: `list ${id}`, labels: id === 'L-2' || id === 'L-4' ? ['even'] : ['odd'] });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; text: string; body: { issues: Array<{ issue_id: string }>; next_cursor: string | null } } = await s.request(
          'GET',
          `/api/issues?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          { token: coder },
        );
        expect(res.status, res.text).to.equal(200);
        expect(res.body.issues.length).to.be.at.most(2);
        seen.push(...res.body.issues.map((i) => i.issue_id));
        cursor = res.body.next_cursor;
      } while (cursor);
      expect(seen.filter((id) => id.startsWith('L-'))).to.deep.equal(['L-1', 'L-2', 'L-3', 'L-4', 'L-5']);
      expect(new Set(seen).size).to.equal(seen.length);
      const even = await s.request('GET', '/api/issues?label=even', { token: coder });
      expect(even.body.issues.map((i: { issue_id: string }) => i.issue_id)).to.deep.equal(['L-2', 'L-4']);
      expect(even.body.next_cursor).to.equal(null);
    });

    describe('bad input: 400 REQ_001 with field paths, never a 500', () => {
      const big = (bytes: number) => 'x'.repeat(bytes);
      const cases: Array<[string, unknown, string]> = [
        ['no title', { description: 'x' }, 'body.title'],
        ['empty title', { title: '' }, 'body.title'],
        ['blank title', { title: '   ' }, 'body.title'],
        ['title of 301 characters', { title: big(301) }, 'body.title'],
        ['title over two lines', { title: 'a\nb' }, 'body.title'],
        ['title not a string', { title: 7 }, 'body.title'],
        ['description of exactly 64 KiB', { title: 't', description: big(65_536) }, 'body.description'],
        ['description with a NUL', { title: 't', description: 'a\0b' }, 'body.description'],
        ['description not a string', { title: 't', description: ['x'] }, 'body.description'],
        ['33 labels', { title: 't', labels: Array.from({ length: 33 }, (_, i) => `l${i}`) }, 'body.labels'],
        ['a label with a comma', { title: 't', labels: ['a,b'] }, 'body.labels.0'],
        ['an empty label', { title: 't', labels: ['ok', ''] }, 'body.labels.1'],
        ['a label not a string', { title: 't', labels: [1] }, 'body.labels.0'],
        ['201 files', { title: 't', files: Array.from({ length: 201 }, (_, i) => `f${i}.py`) }, 'body.files'],
        ['an absolute file', { title: 't', files: ['/etc/passwd'] }, 'body.files.0'],
        ['a file through ..', { title: 't', files: ['src/../../secret'] }, 'body.files.0'],
        ['a file with a control character', { title: 't', files: ['a\u0007.py'] }, 'body.files.0'],
        ['acceptance of 64 KiB', { title: 't', acceptance: big(65_536) }, 'body.acceptance'],
        ['acceptance not a string', { title: 't', acceptance: 5 }, 'body.acceptance'],
        ['an unknown field', { title: 't', owner: 'me' }, 'body'],
        ['revision given by the client', { title: 't', revision: 9 }, 'body'],
      ];
      for (const [name, body, field] of cases) {
        it(`refuses ${name}`, async () => {
          const res = await put('BAD-1', body);
          expectContractError(res, 400, 'REQ_001');
          expect(paths(res)).to.include(field);
        });
      }

      it('stores nothing for a refused body, and accepts a description of 64 KiB minus one byte whole', async () => {
        expectContractError(await get('BAD-1'), 404, 'NOT_FOUND');
        const res = await put('BIG-1', { title: 't', description: big(65_535) });
        expect(res.status).to.equal(201);
        expect((await get('BIG-1')).body.description).to.have.length(65_535);
      });

      it('refuses ids that are not safe (decoded %2F, NUL, too long) and a bad query', async () => {
        for (const raw of ['..%2F..%2Fetc', 'a%00b', `x${'y'.repeat(128)}`, '.hidden']) {
          expectContractError(await s.request('PUT', `/api/issues/${raw}`, { token: architect, body: { title: 't' } }), 400, 'REQ_001');
          expectContractError(await s.request('GET', `/api/issues/${raw}`, { token: coder }), 400, 'REQ_001');
        }
        for (const [query, field] of [
          ['limit=0', 'query.limit'],
          ['limit=201', 'query.limit'],
          ['cursor=nope', 'query.cursor'],
          ['label=a,b', 'query.label'],
          ['colour=red', 'query'],
        ]) {
          const res = await s.request('GET', `/api/issues?${query}`, { token: coder });
          expectContractError(res, 400, 'REQ_001');
          expect(paths(res)).to.include(field);
        }
        expectContractError(
          await s.request('PUT', '/api/issues/RAW-1', { token: architect, raw: 'title=x', headers: { 'content-type': 'text/plain' } }),
          415,
          'REQ_003',
        );
      });
    });

    describe('permissions and scope', () => {
      it('refuses writes without manage_issues and reads without read_context (403 AUTH_003), and anonymous calls (401)', async () => {
        expectContractError(await put('PERM-1', { title: 't' }, coder), 403, 'AUTH_003');
        const noRead = await s.tokenFor({ agent_type: 'python-specialist', permissions: ['write_results'] });
        expectContractError(await get('ISSUE-1', noRead), 403, 'AUTH_003');
        expectContractError(await s.request('GET', '/api/issues', { token: noRead }), 403, 'AUTH_003');
        expectContractError(await s.request('GET', '/api/issues/ISSUE-1', {}), 401, 'AUTH_001');
        expectContractError(await s.request('PUT', '/api/issues/ISSUE-1', { body: { title: 't' } }), 401, 'AUTH_001');
        const granted = await s.tokenFor({ agent_type: 'python-specialist', permissions: ['manage_issues'] });
        expect((await put('PERM-1', { title: 't' }, granted)).status).to.equal(201);
      });

      it('keeps an issue-scoped token on its issue: other issues are 403, and the list shows its own only', async () => {
        await put('SCOPE-A', { title: 'a', labels: ['x'] });
        await put('SCOPE-B', { title: 'b' });
        const scoped = await s.tokenFor({ agent_type: 'python-specialist', issue_id: 'SCOPE-A' });
        expect((await get('SCOPE-A', scoped)).status).to.equal(200);
        expectContractError(await get('SCOPE-B', scoped), 403, 'AUTH_003');
        const list = await s.request('GET', '/api/issues', { token: scoped });
        expect(list.body.issues.map((i: { issue_id: string }) => i.issue_id)).to.deep.equal(['SCOPE-A']);
        expect((await s.request('GET', '/api/issues?label=y', { token: scoped })).body.issues).to.deep.equal([]);
        const scopedManager = await s.tokenFor({ agent_type: 'chief-architect', issue_id: 'SCOPE-A' });
        expectContractError(await put('SCOPE-B', { title: 'hijack' }, scopedManager), 403, 'AUTH_003');
        expectContractError(await s.request('DELETE', '/api/issues/SCOPE-B', { token: scopedManager }), 403, 'AUTH_003');
        expect((await get('SCOPE-B')).body.title).to.equal('b');
      });

      it('refuses a token of another project on every issue route', async () => {
        const foreign = await s.tokenFor({ agent_type: 'chief-architect', project_id: 'other-project' });
        expectContractError(await put('ISSUE-1', { title: 'x' }, foreign), 403, 'AUTH_003');
        expectContractError(await get('ISSUE-1', foreign), 403, 'AUTH_003');
        expectContractError(await s.request('GET', '/api/issues', { token: foreign }), 403, 'AUTH_003');
        expectContractError(await s.request('GET', '/api/issues/ISSUE-1/revisions', { token: foreign }), 403, 'AUTH_003');
        expectContractError(await s.request('DELETE', '/api/issues/ISSUE-1', { token: foreign }), 403, 'AUTH_003');
      });

      it('audits every mutation: an intent and an outcome line with the caller', async () => {
        await put('AUDIT-1', { title: 'audited' });
        await s.request('DELETE', '/api/issues/AUDIT-1', { token: architect });
        await put('AUDIT-2', { title: 'refused' }, coder);
        // The outcome line is written without delaying the answer.
        await new Promise((r) => setTimeout(r, 200));
        const lines = (await fsp.readFile(path.join(s.storage, 'audit.log'), 'utf8'))
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const of = (resource: string) => lines.filter((l) => l.resource === resource).map((l) => [l.action, l.outcome, l.sub]);
        expect(of('/api/issues/AUDIT-1')).to.deep.equal([
          ['PUT /api/issues/:issue_id', 'intent', 'arch-1'],
          ['PUT /api/issues/:issue_id', 'success', 'arch-1'],
          ['DELETE /api/issues/:issue_id', 'intent', 'arch-1'],
          ['DELETE /api/issues/:issue_id', 'success', 'arch-1'],
        ]);
        expect(of('/api/issues/AUDIT-2')).to.deep.equal([
          ['PUT /api/issues/:issue_id', 'intent', 'py-1'],
          ['PUT /api/issues/:issue_id', 'denied', 'py-1'],
        ]);
      });
    });

    it('keeps every issue and its history across a restart', async () => {
      const before = (await get('ISSUE-1')).body;
      const historyBefore = (await s.request('GET', '/api/issues/ISSUE-D/revisions', { token: coder })).body;
      await s.restart();
      architect = await s.tokenFor({ agent_type: 'chief-architect', sub: 'arch-1' });
      coder = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1' });
      expect((await get('ISSUE-1')).body).to.deep.equal(before);
      expect((await s.request('GET', '/api/issues/ISSUE-D/revisions', { token: coder })).body).to.deep.equal(historyBefore);
      const next = await put('ISSUE-1', { title: 'after restart' });
      expect(next.body.revision).to.equal(before.revision + 1);
    });
  });
}
