import { expect } from 'chai';
import http from 'node:http';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';
import { acquire, eventsOf, until } from './helpers.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { onEachLeaseBackend } from './lease-backends.js';

onEachLeaseBackend('leases over HTTP (spec §8)', (backend) => {
  let s: TestServer;
  let alice: string;
  let bob: string;
  let carol: string;

  let root: string;

  before(async () => {
    // Files the context test ranks exist before the index is built (the watcher is off in tests).
    root = await makeTempDir('cco-leases-');
    await mkdir(path.join(root, 'pkg'), { recursive: true });
    await writeFile(path.join(root, 'pkg', 'service.py'), 'def serve():\n    return 1\n');
    await writeFile(path.join(root, 'pkg', 'util.py'), 'def util():\n    return 2\n');
    s = await startTestServer({ projectRoot: root, config: backend.config() });
    alice = await s.tokenFor({ sub: 'alice', agent_type: 'python-specialist' });
    bob = await s.tokenFor({ sub: 'bob', agent_type: 'react-expert', issue_id: 'ISSUE-2' });
    carol = await s.tokenFor({ sub: 'carol', agent_type: 'test-engineer' });
  });
  after(async () => {
    await s.stop();
    await removeDir(root);
  });

  async function releaseAll(): Promise<void> {
    const list = await s.request('GET', '/api/leases', { token: s.adminToken });
    for (const l of list.body.leases) await s.request('DELETE', `/api/leases/${l.lease_id}`, { token: s.adminToken });
  }
  afterEach(releaseAll);

  it('grants a lease with the contract fields and a fencing token that grows', async () => {
    const a = await acquire(s, alice, { paths: ['./src//app.ts'], ttl_seconds: 60, reason: 'refactor' });
    expect(a.status, a.text).to.equal(201);
    expect(a.body).to.include({ holder: 'alice', agent_type: 'python-specialist', issue_id: null, reason: 'refactor' });
    expect(a.body.paths).to.deep.equal(['src/app.ts']);
    expect(a.body).to.have.keys('lease_id', 'paths', 'holder', 'agent_type', 'issue_id', 'fencing_token', 'acquired_at', 'expires_at', 'reason');
    expect(Date.parse(a.body.expires_at) - Date.parse(a.body.acquired_at)).to.equal(60_000);
    const b = await acquire(s, bob, { paths: ['docs/readme.md'] });
    expect(b.status).to.equal(201);
    expect(b.body.issue_id).to.equal('ISSUE-2');
    expect(b.body.fencing_token).to.be.greaterThan(a.body.fencing_token);
    // Events follow the durable grant (in grant order), so they may trail the answer by a moment.
    const events = await until(async () => {
      const e = await eventsOf(s, ['lease_acquired']);
      return e.length === 2 && e;
    });
    expect(events.at(-1)).to.deep.include({ publisher: 'cco-sidecar', topic: 'coordination' });
    expect(events.at(-1).data).to.include({ lease_id: b.body.lease_id, fencing_token: b.body.fencing_token, holder: 'bob' });
  });

  it('conflicts on the path, an ancestor and a descendant, never on a sibling with a common prefix', async () => {
    const a = await acquire(s, alice, { paths: ['src/app'] });
    expect(a.status).to.equal(201);
    for (const p of ['src/app', 'src/app/main.ts', 'src', 'src/app/deep/x.ts']) {
      const r = await acquire(s, bob, { paths: ['docs/other.md', p] });
      expectContractError(r, 409, 'LSE_001');
      expect(r.body.details.conflicts).to.deep.equal([
        { path: p, leased_path: 'src/app', lease_id: a.body.lease_id, holder: 'alice', expires_at: a.body.expires_at },
      ]);
      expect(r.body.message).to.contain('alice');
    }
    // All or nothing: docs/other.md was not taken by the refused requests.
    expect((await acquire(s, carol, { paths: ['docs/other.md'] })).status).to.equal(201);
    expect((await acquire(s, bob, { paths: ['src/apple'] })).status).to.equal(201);
    expect((await acquire(s, bob, { paths: ['src/ap'] })).status).to.equal(201);
    // The holder's own leases do not conflict with each other.
    expect((await acquire(s, alice, { paths: ['src/app/main.ts'] })).status).to.equal(201);
    const under = await s.request('GET', '/api/leases?path=src/app/main.ts', { token: alice });
    expect(under.body.leases.map((l: any) => l.paths[0])).to.deep.equal(['src/app', 'src/app/main.ts']);
    const byHolder = await s.request('GET', '/api/leases?holder=bob&issue_id=ISSUE-2', { token: alice });
    expect(byHolder.body.leases.map((l: any) => l.paths[0]).sort()).to.deep.equal(['src/ap', 'src/apple']);
  });

  it('refuses hostile paths with 400 REQ_001 and never a 500', async () => {
    await mkdir(path.join(s.projectRoot, 'inside'), { recursive: true });
    await symlink('/etc', path.join(s.projectRoot, 'out-link'));
    await symlink(path.join(s.projectRoot, 'inside'), path.join(s.projectRoot, 'in-link'));
    const hostile = [
      '../x',
      'a/../../x',
      'a/../b',
      '/etc/passwd',
      'C:\\Windows',
      'a\\b',
      'a\u0000b',
      '.',
      './',
      '',
      'x'.repeat(300),
      'out-link/passwd',
      'out-link',
    ];
    for (const p of hostile) {
      const r = await acquire(s, alice, { paths: [p] });
      expectContractError(r, 400, 'REQ_001');
      expect(r.body.details.issues[0].path).to.equal('body.paths.0');
    }
    for (const body of [
      { paths: [] },
      { paths: 'src' },
      { paths: ['a'], ttl_seconds: 0 },
      { paths: ['a'], ttl_seconds: 3601 },
      { paths: ['a'], wait_ms: 60_001 },
      { paths: ['a'], extra: 1 },
    ]) {
      expectContractError(await acquire(s, alice, body), 400, 'REQ_001');
    }
    // A link inside the root is leased as its target: the two spellings conflict.
    const viaLink = await acquire(s, alice, { paths: ['in-link/a.ts'] });
    expect(viaLink.body.paths).to.deep.equal(['inside/a.ts']);
    expectContractError(await acquire(s, bob, { paths: ['inside'] }), 409, 'LSE_001');
  });

  it('lets only the holder, manage_agents or admin release or renew (403 otherwise), then 404', async () => {
    const a = await acquire(s, alice, { paths: ['lib/x.ts'], ttl_seconds: 30 });
    expectContractError(await s.request('DELETE', `/api/leases/${a.body.lease_id}`, { token: bob }), 403, 'AUTH_003');
    expectContractError(await s.request('POST', `/api/leases/${a.body.lease_id}/renew`, { token: bob, body: { ttl_seconds: 60 } }), 403, 'AUTH_003');
    const renewed = await s.request('POST', `/api/leases/${a.body.lease_id}/renew`, { token: alice, body: { ttl_seconds: 600 } });
    expect(renewed.status).to.equal(200);
    expect(Date.parse(renewed.body.expires_at) - Date.now()).to.be.within(590_000, 600_000);
    expect(renewed.body.fencing_token).to.equal(a.body.fencing_token);
    const released = await s.request('DELETE', `/api/leases/${a.body.lease_id}`, { token: alice });
    expect(released.status).to.equal(200);
    expect(released.body).to.include({ lease_id: a.body.lease_id });
    expectContractError(await s.request('DELETE', `/api/leases/${a.body.lease_id}`, { token: alice }), 404, 'NOT_FOUND');
    const lead = await s.tokenFor({ sub: 'lead', agent_type: 'chief-architect' });
    const b = await acquire(s, alice, { paths: ['lib/y.ts'] });
    expect((await s.request('DELETE', `/api/leases/${b.body.lease_id}`, { token: lead })).status).to.equal(200);
    const ev = await until(async () => (await eventsOf(s, ['lease_released'])).find((e) => e.data.lease_id === b.body.lease_id));
    expect(ev.data).to.include({ lease_id: b.body.lease_id, why: 'released by lead' });
    const docs = await s.tokenFor({ sub: 'docs', agent_type: 'documentation-writer', permissions: ['read_context'] });
    expectContractError(await acquire(s, docs, { paths: ['x'] }), 403, 'AUTH_003');
  });

  it('queues waiters first come, first served and grants each in turn', async () => {
    const held = await acquire(s, alice, { paths: ['hot/file.ts'] });
    const names = ['w1', 'w2', 'w3'];
    const tokens = await Promise.all(names.map((sub) => s.tokenFor({ sub, agent_type: 'python-specialist' })));
    const order: string[] = [];
    const pending: Array<Promise<any>> = [];
    for (let i = 0; i < names.length; i++) {
      pending.push(
        acquire(s, tokens[i]!, { paths: ['hot'], wait_ms: 10_000, ttl_seconds: 60 }).then((r) => {
          order.push(names[i]!);
          return r;
        }),
      );
      await until(async () => s.handle.deps.coordination.leases.stats().waiting_requests === i + 1);
    }
    // A request without wait_ms is refused while others queue for an overlapping path.
    const barging = await acquire(s, carol, { paths: ['hot/other.ts'] });
    expectContractError(barging, 409, 'LSE_001');
    expect(barging.body.details.queued_ahead).to.equal(3);
    await s.request('DELETE', `/api/leases/${held.body.lease_id}`, { token: alice });
    const granted: any[] = [];
    for (let i = 0; i < names.length; i++) {
      const r = await pending[i]!;
      expect(r.status, r.text).to.equal(201);
      granted.push(r.body);
      await s.request('DELETE', `/api/leases/${r.body.lease_id}`, { token: tokens[i]! });
    }
    expect(order).to.deep.equal(names);
    expect(granted.map((g) => g.fencing_token)).to.deep.equal([...granted.map((g) => g.fencing_token)].sort((a, b) => a - b));
    const acquired = await until(async () => {
      const e = (await eventsOf(s, ['lease_acquired'])).filter((x) => x.data.paths[0] === 'hot');
      return e.length === 3 && e;
    });
    expect(acquired.map((e) => e.data.holder)).to.deep.equal(names);
    expect(acquired[0].data.waited_ms).to.be.greaterThan(0);
  });

  it('drops a queued request whose client disconnects, and answers 409 when the wait ends', async () => {
    const held = await acquire(s, alice, { paths: ['q/file.ts'] });
    const gone = await s.tokenFor({ sub: 'gone', agent_type: 'python-specialist' });
    const body = JSON.stringify({ paths: ['q/file.ts'], wait_ms: 20_000 });
    const url = new URL(s.url);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/api/leases',
      agent: false,
      headers: { authorization: `Bearer ${gone}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('error', () => undefined);
    req.end(body);
    const stats = () => s.handle.deps.coordination.leases.stats();
    await until(async () => stats().waiting_requests === 1);
    req.destroy();
    await until(async () => stats().waiting_requests === 0);
    const timedOut = await acquire(s, bob, { paths: ['q'], wait_ms: 200 });
    expectContractError(timedOut, 409, 'LSE_001');
    expect(timedOut.body.message).to.match(/^Still conflicting after waiting 200 ms/);
    const waiting = acquire(s, carol, { paths: ['q/file.ts'], wait_ms: 10_000 });
    await until(async () => stats().waiting_requests === 1);
    await s.request('DELETE', `/api/leases/${held.body.lease_id}`, { token: alice });
    expect((await waiting).body.holder).to.equal('carol');
    expect((await eventsOf(s, ['lease_acquired'])).some((e) => e.data.holder === 'gone')).to.equal(false);
  });

  it('expires a lease on time and publishes lease_expired', async () => {
    const a = await acquire(s, alice, { paths: ['tmp/short.ts'], ttl_seconds: 1 });
    const waiting = acquire(s, bob, { paths: ['tmp'], wait_ms: 5_000 });
    const started = Date.now();
    const got = await waiting;
    expect(got.status).to.equal(201);
    expect(Date.now() - started).to.be.within(500, 3_000);
    const expired = await until(async () => (await eventsOf(s, ['lease_expired'])).find((e) => e.data.lease_id === a.body.lease_id));
    expect(expired.data).to.include({ why: 'expired', holder: 'alice' });
    expectContractError(await s.request('GET', `/api/leases/${a.body.lease_id}`, { token: alice }), 404, 'NOT_FOUND');
  });

  it("marks relevant files under another holder's lease with leased_by in contexts", async () => {
    const first = await s.request('GET', '/api/context/ISSUE-9/python-specialist?refresh=true', { token: alice });
    expect(first.status, first.text).to.equal(200);
    const files = first.body.context.relevant_files.map((f: any) => f.path);
    expect(files).to.include.members(['pkg/service.py', 'pkg/util.py']);
    expect(first.body.context.relevant_files.every((f: any) => f.leased_by === undefined)).to.equal(true);
    const lease = await acquire(s, carol, { paths: ['pkg/service.py'] });
    // Served from the cache, annotated after it.
    const second = await s.request('GET', '/api/context/ISSUE-9/python-specialist', { token: alice });
    expect(second.body.cache_hit).to.equal(true);
    const byPath = Object.fromEntries(second.body.context.relevant_files.map((f: any) => [f.path, f]));
    expect(byPath['pkg/service.py'].leased_by).to.deep.equal({
      lease_id: lease.body.lease_id,
      holder: 'carol',
      agent_type: 'test-engineer',
      path: 'pkg/service.py',
      fencing_token: lease.body.fencing_token,
      expires_at: lease.body.expires_at,
    });
    expect(byPath['pkg/util.py'].leased_by).to.equal(undefined);
    // The holder itself sees no marker on its own lease.
    const own = await s.request('GET', '/api/context/ISSUE-9/test-engineer', { token: await s.tokenFor({ sub: 'carol', agent_type: 'test-engineer' }) });
    expect(own.body.context.relevant_files.every((f: any) => f.leased_by === undefined)).to.equal(true);
  });
});
