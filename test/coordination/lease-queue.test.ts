import { expect } from 'chai';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { openCoordination, type Coordination, type CoordinationCaller } from '../../src/coordination/index.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { connectRedis, destroyQuietly, type RedisClient } from '../../src/redis/redis-connection.js';
import { onEachLeaseBackend } from './lease-backends.js';

const caller = (sub: string): CoordinationCaller => ({ sub, agent_type: 'python-specialist', project_id: 'p', permissions: ['write_results'] });

onEachLeaseBackend('lease queue (service level)', (backend) => {
  let dir: string;
  let c: Coordination;
  let client: RedisClient | undefined;
  const published: Array<{ event_type: string; data: Record<string, unknown> }> = [];

  beforeEach(async () => {
    dir = await makeTempDir('cco-lease-queue-');
    await mkdir(path.join(dir, 'root'));
    published.length = 0;
    const redis = backend.redis();
    if (redis) {
      client = await connectRedis({ url: redis.url, name: 'lease-queue-test' });
      await client.flushAll();
    }
    c = await openCoordination({
      projectId: 'p',
      projectRoot: path.join(dir, 'root'),
      storagePath: path.join(dir, 'storage'),
      results: { find: async () => undefined },
      publish: async (e) => {
        published.push(e);
      },
      log: { warn: () => undefined, info: () => undefined },
      redis: client && redis ? { client, url: redis.url } : undefined,
    });
  });
  afterEach(async () => {
    await c.close();
    if (client) destroyQuietly(client);
    client = undefined;
    await removeDir(dir);
  });

  it('does not let later file requests starve an earlier request for their directory', async () => {
    const first = await c.leases.acquire(caller('a'), { paths: ['src/one.ts'] });
    const order: string[] = [];
    const dirWaiter = c.leases.acquire(caller('dir'), { paths: ['src'], wait_ms: 5_000 }).then((l) => {
      order.push('dir');
      return l;
    });
    // Free sibling file, but the directory request came first: it waits behind it.
    const later = c.leases.acquire(caller('b'), { paths: ['src/two.ts'], wait_ms: 5_000 }).then((l) => {
      order.push('b');
      return l;
    });
    while (c.leases.stats().waiting_requests < 2) await new Promise((r) => setTimeout(r, 5));
    await c.leases.release(caller('a'), first.lease_id);
    const d = await dirWaiter;
    await new Promise((r) => setTimeout(r, 20));
    expect(order).to.deep.equal(['dir']);
    await c.leases.release(caller('dir'), d.lease_id);
    await later;
    expect(order).to.deep.equal(['dir', 'b']);
  });

  it('grants independent waiters together and keeps fencing tokens strictly increasing in grant order', async () => {
    const x = await c.leases.acquire(caller('a'), { paths: ['x'] });
    const y = await c.leases.acquire(caller('a'), { paths: ['y'] });
    const wx = c.leases.acquire(caller('b'), { paths: ['x/1'], wait_ms: 5_000 });
    while (c.leases.stats().waiting_requests < 1) await new Promise((r) => setTimeout(r, 5));
    const wy = c.leases.acquire(caller('c'), { paths: ['y/1'], wait_ms: 5_000 });
    while (c.leases.stats().waiting_requests < 2) await new Promise((r) => setTimeout(r, 5));
    await c.leases.releaseHolder('a', 'agent completed');
    const [gx, gy] = await Promise.all([wx, wy]);
    expect([x.fencing_token, y.fencing_token, gx.fencing_token, gy.fencing_token]).to.deep.equal([1, 2, 3, 4]);
    await new Promise((r) => setTimeout(r, 20));
    // Each grant is published after the release that let it in.
    const seen = published.map((e) => `${e.event_type}:${String(e.data.lease_id)}`);
    expect(seen).to.have.length(6);
    expect(seen.slice(0, 2)).to.deep.equal([`lease_acquired:${x.lease_id}`, `lease_acquired:${y.lease_id}`]);
    expect(seen.indexOf(`lease_released:${x.lease_id}`)).to.be.below(seen.indexOf(`lease_acquired:${gx.lease_id}`));
    expect(seen.indexOf(`lease_released:${y.lease_id}`)).to.be.below(seen.indexOf(`lease_acquired:${gy.lease_id}`));
  });
});
