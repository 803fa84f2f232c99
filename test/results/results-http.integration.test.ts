import { expect } from 'chai';
import path from 'node:path';
import type { AppDeps } from '../../src/server/app-deps.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface Published {
  event_type: string;
  publisher: string;
  topic?: string;
  data?: Record<string, unknown>;
}

/**
 * Records what the result route publishes. The result route only needs `publish` from the bus;
 * the bus's own semantics are tested with the bus.
 */
function recordingBus(fail = false) {
  const published: Published[] = [];
  let n = 0;
  return {
    published,
    stats: () => ({
      total_published: published.length,
      total_delivered: 0,
      active_subscriptions: 0,
      queue_depth: 0,
      avg_delivery_time_ms: 0,
      dead_letter_queue_size: 0,
    }),
    health: () => 'ok' as const,
    async publish(input: Published) {
      if (fail) throw new Error('bus down');
      published.push(input);
      return { event: { event_id: `evt-${++n}`, timestamp: new Date().toISOString() } };
    },
    close: async () => undefined,
  };
}

type Bus = NonNullable<AppDeps['bus']>;

const ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('HTTP /api/results', () => {
  let s: TestServer;
  let bus: ReturnType<typeof recordingBus>;
  let realBus: AppDeps['bus'];
  let coder: string;
  let project: string;

  before(async () => {
    s = await startTestServer();
    realBus = s.handle.deps.bus;
    project = s.config.project_id;
    coder = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1' });
  });
  beforeEach(() => {
    // The route's use of the bus port is checked with a recorder; one test below uses the real bus.
    bus = recordingBus();
    s.handle.deps.bus = bus as unknown as Bus;
  });
  afterEach(() => {
    // Shutdown closes deps.bus: it must be the real one again (its journal lock is released then).
    s.handle.deps.bus = realBus;
  });
  after(async () => {
    await s.stop();
  });

  const body = (over: Record<string, unknown> = {}) => ({
    agent_id: 'py-1',
    agent_type: 'python-specialist',
    issue_id: 'ISSUE-1',
    result: { status: 'success', files_created: ['a.py'], decisions: ['use stdlib'] },
    ...over,
  });
  const post = (token: string, b: unknown) => s.request('POST', '/api/results', { token, body: b });
  const paths = (res: { body: { details: { issues: Array<{ path: string }> } } }) => [...new Set(res.body.details.issues.map((i) => i.path))];

  describe('POST', () => {
    it('answers 201 with the contract body and stores the envelope', async () => {
      const res = await post(coder, body());
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.have.keys('id', 'stored', 'storage_path', 'next_agents', 'event_published', 'event_id', 'timestamp');
      expect(res.body.id).to.match(ID);
      expect(res.body.stored).to.equal(true);
      expect(res.body.storage_path).to.equal(path.join(s.storage, 'results', project, 'ISSUE-1', 'python-specialist.json'));
      expect(res.body.next_agents).to.deep.equal([
        { agent_type: 'test-engineer', priority: 'high', reason: 'Implementation finished; verify it with tests' },
        { agent_type: 'security-auditor', priority: 'medium', reason: 'Implementation finished; audit the changes for security issues' },
      ]);
      expect(res.body.event_published).to.equal(true);
      expect(res.body.event_id).to.equal('evt-1');
      expect(Number.isNaN(Date.parse(res.body.timestamp))).to.equal(false);

      const got = await s.request('GET', `/api/results/${res.body.id}`, { token: coder });
      expect(got.status).to.equal(200);
      expect(got.body).to.deep.equal({
        id: res.body.id,
        agent_id: 'py-1',
        agent_type: 'python-specialist',
        issue_id: 'ISSUE-1',
        project_id: project,
        result: { status: 'success', files_created: ['a.py'], decisions: ['use stdlib'] },
        timestamp: res.body.timestamp,
        stored_at: res.body.timestamp,
        storage_path: res.body.storage_path,
      });
    });

    it('publishes agent_completed, or agent_failed for a failed result, on topic implementation', async () => {
      const ok = await post(coder, body({ result: { status: 'partial' } }));
      const failed = await post(coder, body({ result: { status: 'failed', errors: ['boom'] } }));
      expect(bus.published).to.deep.equal([
        {
          event_type: 'agent_completed',
          publisher: 'py-1',
          topic: 'implementation',
          data: { issue_id: 'ISSUE-1', agent_type: 'python-specialist', agent_id: 'py-1', status: 'partial', result_id: ok.body.id },
        },
        {
          event_type: 'agent_failed',
          publisher: 'py-1',
          topic: 'implementation',
          data: { issue_id: 'ISSUE-1', agent_type: 'python-specialist', agent_id: 'py-1', status: 'failed', result_id: failed.body.id },
        },
      ]);
      expect(failed.body.next_agents).to.deep.equal([
        { agent_type: 'chief-architect', priority: 'high', reason: 'The agent failed; the architect decides how to recover' },
      ]);
    });

    it('makes agent_completed and agent_failed visible to waiters on the real event bus', async function () {
      if (!realBus) this.skip(); // the bus is wired by src/events; without it there is nothing to wait on
      s.handle.deps.bus = realBus;
      const waiter = await s.tokenFor({ agent_type: 'test-engineer', sub: 'qa-1' });
      const wait = (type: string) => s.request('GET', `/api/events/wait/${type}?topic=implementation&since=now&timeout=10000`, { token: waiter });
      const waiting = [wait('agent_completed'), wait('agent_failed')];
      await new Promise((r) => setTimeout(r, 100));
      const ok = await post(coder, body({ issue_id: 'EVT-1' }));
      const failed = await post(coder, body({ issue_id: 'EVT-1', result: { status: 'failed' } }));
      const [completedEvents, failedEvents] = await Promise.all(waiting);
      expect(ok.body.event_published).to.equal(true);
      expect(completedEvents?.body.events[0]).to.deep.include({
        event_id: ok.body.event_id,
        event_type: 'agent_completed',
        topic: 'implementation',
        publisher: 'py-1',
        data: { issue_id: 'EVT-1', agent_type: 'python-specialist', agent_id: 'py-1', status: 'success', result_id: ok.body.id },
      });
      expect(failedEvents?.body.events[0]).to.deep.include({
        event_id: failed.body.event_id,
        event_type: 'agent_failed',
        data: { issue_id: 'EVT-1', agent_type: 'python-specialist', agent_id: 'py-1', status: 'failed', result_id: failed.body.id },
      });
    });

    it('still answers 201 when the bus fails, with event_published false', async () => {
      s.handle.deps.bus = recordingBus(true) as unknown as Bus;
      const res = await post(coder, body());
      expect(res.status).to.equal(201);
      expect(res.body).to.deep.include({ event_published: false, event_id: null });
    });

    it('answers 400 REQ_001 with field paths for an invalid body', async () => {
      const cases: Array<[unknown, string[]]> = [
        [body({ result: { files_created: [] } }), ['body.result.status']],
        [body({ result: { status: 'done' } }), ['body.result.status']],
        [body({ issue_id: '../../etc' }), ['body.issue_id']],
        [body({ issue_id: 'a/b' }), ['body.issue_id']],
        [body({ agent_type: '/etc/passwd' }), ['body.agent_type']],
        [body({ issue_id: 'x\u0000y' }), ['body.issue_id']],
        [body({ project_id: 'p'.repeat(300) }), ['body.project_id']],
        [body({ timestamp: 'tomorrow' }), ['body.timestamp']],
        [body({ extra: 1 }), ['body']],
        [{ agent_type: 'python-specialist', issue_id: 'I', result: { status: 'success' } }, ['body.agent_id']],
      ];
      for (const [b, expected] of cases) {
        const res = await post(coder, b);
        expect(res.status, JSON.stringify(b)).to.equal(400);
        expect(res.body.code).to.equal('REQ_001');
        expect(paths(res), JSON.stringify(b)).to.deep.equal(expected);
      }
    });

    it("answers 403 AUTH_003 outside the token's scope", async () => {
      const issueToken = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1', issue_id: 'ISSUE-1' });
      const readOnly = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1', permissions: ['read_results'] });
      const cases: Array<[string, unknown, string]> = [
        [coder, body({ agent_type: 'test-engineer' }), 'agent type'],
        [coder, body({ agent_id: 'someone-else' }), 'agent'],
        [coder, body({ project_id: 'other-project' }), 'project'],
        [issueToken, body({ issue_id: 'ISSUE-2' }), 'issue'],
        [readOnly, body(), 'write_results'],
      ];
      for (const [token, b, what] of cases) {
        const res = await post(token, b);
        expect(res.status, what).to.equal(403);
        expect(res.body.code).to.equal('AUTH_003');
      }
      expect((await post(issueToken, body())).status).to.equal(201);
    });

    it('lets an admin store as any agent and in another project', async () => {
      const res = await post(s.adminToken, body({ agent_id: 'qa-9', agent_type: 'test-engineer', project_id: 'other-project' }));
      expect(res.status, res.text).to.equal(201);
      expect(res.body.storage_path).to.equal(path.join(s.storage, 'results', 'other-project', 'ISSUE-1', 'test-engineer.json'));
      expect(res.body.next_agents.map((n: { agent_type: string }) => n.agent_type)).to.deep.equal(['security-auditor']);
    });

    it('keeps all of 50 concurrent POSTs for one pair, also after a restart', async () => {
      const token = await s.tokenFor({ agent_type: 'go-expert', sub: 'go-1' });
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, n) => post(token, { agent_id: 'go-1', agent_type: 'go-expert', issue_id: 'CONC', result: { status: 'success', n } })),
      );
      expect(answers.map((a) => a.status)).to.deep.equal(Array(50).fill(201));
      const ids = answers.map((a) => a.body.id as string);
      expect(new Set(ids).size).to.equal(50);

      s.handle.deps.bus = realBus;
      await s.restart();
      realBus = s.handle.deps.bus;
      const list = await s.request('GET', '/api/results?issue_id=CONC&limit=1000', { token: s.adminToken });
      expect(list.status).to.equal(200);
      expect(list.body.results.map((r: { id: string }) => r.id).sort()).to.deep.equal([...ids].sort());
      const latest = await s.request('GET', '/api/results?issue_id=CONC&latest=true', { token: s.adminToken });
      expect(latest.body.results.map((r: { id: string }) => r.id)).to.deep.equal([[...ids].sort().at(-1)]);
      coder = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1' });
    });
  });

  describe('GET', () => {
    let stored: string[];
    before(async () => {
      const tokens = {
        'python-specialist': await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1' }),
        'test-engineer': await s.tokenFor({ agent_type: 'test-engineer', sub: 'qa-1' }),
      };
      stored = [];
      for (let n = 0; n < 7; n++) {
        const type = n % 2 ? 'test-engineer' : 'python-specialist';
        const res = await post(tokens[type], {
          agent_id: type === 'test-engineer' ? 'qa-1' : 'py-1',
          agent_type: type,
          issue_id: n < 5 ? 'LIST-A' : 'LIST-B',
          result: { status: n === 3 ? 'failed' : 'success', n },
        });
        expect(res.status, res.text).to.equal(201);
        stored.push(res.body.id);
      }
    });

    const get = (query: string, token = coder) => s.request('GET', `/api/results${query}`, { token });

    it('pages newest first with next_cursor, without duplicates or misses', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(`?issue_id=LIST-A&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.status).to.equal(200);
        expect(res.body).to.have.keys('results', 'next_cursor');
        seen.push(...res.body.results.map((r: { id: string }) => r.id));
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).to.equal(3);
      expect(seen).to.deep.equal(stored.slice(0, 5).reverse());
    });

    it('filters by agent type, status, latest and time', async () => {
      const ids = async (q: string): Promise<number[]> => (await get(q)).body.results.map((r: { result: { n: number } }) => r.result.n);
      expect(await ids('?issue_id=LIST-A&agent_type=test-engineer')).to.deep.equal([3, 1]);
      expect(await ids('?issue_id=LIST-A&status=failed')).to.deep.equal([3]);
      expect(await ids('?latest=true&issue_id=LIST-A')).to.deep.equal([4, 3]);
      expect(await ids('?issue_id=LIST-B')).to.deep.equal([6, 5]);
      expect(await ids(`?issue_id=LIST-A&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).to.deep.equal([]);
      expect(await ids(`?issue_id=LIST-A&until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&limit=1`)).to.deep.equal([4]);
    });

    it('answers 400 REQ_001 for bad query values, ids and encoded traversal', async () => {
      const cases: Array<[string, string]> = [
        ['/api/results?limit=1001', 'query.limit'],
        ['/api/results?limit=0', 'query.limit'],
        ['/api/results?cursor=nonsense', 'query.cursor'],
        ['/api/results?status=done', 'query.status'],
        ['/api/results?since=yesterday', 'query.since'],
        ['/api/results?issue_id=..%2F..%2Fetc', 'query.issue_id'],
        ['/api/results?bogus=1', 'query'],
        ['/api/results/..%2F..%2Fetc%2Fpasswd', 'params.id'],
        ['/api/results/%2Fetc%2Fpasswd', 'params.id'],
        ['/api/results/abc%00def', 'params.id'],
        [`/api/results/${'A'.repeat(300)}`, 'params.id'],
      ];
      for (const [url, field] of cases) {
        const res = await s.request('GET', url, { token: coder });
        expect(res.status, url).to.equal(400);
        expect(res.body.code).to.equal('REQ_001');
        expect(paths(res), url).to.deep.equal([field]);
      }
    });

    it('answers 404 for an unknown id', async () => {
      const res = await s.request('GET', '/api/results/01ARZ3NDEKTSV4RRFFQ69G5FAV', { token: coder });
      expect(res.status).to.equal(404);
      expect(res.body.code).to.equal('NOT_FOUND');
    });

    it("scopes reads to the token's project and issue", async () => {
      const issueB = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1', issue_id: 'LIST-B' });
      const noRead = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1', permissions: ['write_results'] });
      expect((await get('?project_id=other-project')).status).to.equal(403);
      expect((await get('?project_id=other-project', s.adminToken)).status).to.equal(200);
      expect((await get('?issue_id=LIST-A', issueB)).status).to.equal(403);
      expect((await get('', noRead)).status).to.equal(403);
      // Without issue_id, an issue-scoped token sees only its issue.
      const own = await get('?limit=1000', issueB);
      expect(own.body.results.map((r: { issue_id: string }) => r.issue_id)).to.deep.equal(['LIST-B', 'LIST-B']);
      expect((await s.request('GET', `/api/results/${stored[0]}`, { token: issueB })).status).to.equal(403);
      expect((await s.request('GET', `/api/results/${stored[6]}`, { token: issueB })).status).to.equal(200);
      const foreign = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1', project_id: 'other-project' });
      const res = await s.request('GET', `/api/results/${stored[0]}`, { token: foreign });
      expect([res.status, res.body.code]).to.deep.equal([403, 'AUTH_003']);
    });

    it('counts stored results in /status', async () => {
      const res = await s.request('GET', '/status', { token: s.adminToken });
      expect(res.body.storage.results_stored).to.be.at.least(7);
      expect(res.body.storage.total_size_mb).to.be.above(0);
    });
  });
});
