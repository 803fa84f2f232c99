import { expect } from 'chai';
import { connectRedis, destroyQuietly, duplicateConnection, type RedisClient } from '../../src/redis/redis-connection.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { until } from './helpers.js';

const PROJECT = 'cluster-agent-faults';

describe('agent registry on Redis: a node that does not answer, and Redis down', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let s: TestServer;
  let silent: RedisClient;
  let listener: RedisClient;
  before(async () => {
    redis = await RedisServer.start();
    s = await startTestServer({
      config: { project_id: PROJECT, node_id: 'node-a', jwt_secret: 'q'.repeat(48), redis: { url: redis.url, heartbeat_ms: 500, forward_timeout_ms: 400 } },
    });
    // A node that heartbeats and subscribes to its requests but never answers (hung event loop).
    silent = await connectRedis({ url: redis.url, name: 'silent-node' });
    listener = await duplicateConnection(silent, { url: redis.url, name: 'silent-node-sub' });
    await listener.subscribe(`cco:{${PROJECT}}:agents:rpc:node-z`, () => undefined);
    const record = {
      agent_id: 'agt_silent_1',
      agent_type: 'coder',
      issue_id: 'ISSUE-1',
      project_id: PROJECT,
      task: 't',
      priority: 'normal',
      status: 'running',
      process_id: 4242,
      process_start_ticks: 1,
      boot_id: 'b',
      exit_code: null,
      signal: null,
      reason: null,
      error: null,
      context_injected: false,
      timeout_seconds: 60,
      created_at: new Date().toISOString(),
      started_at: new Date().toISOString(),
      ended_at: null,
      duration_ms: null,
      log_dropped_bytes: { stdout: 0, stderr: 0 },
      schema: 1,
      node_id: 'node-z',
    };
    await silent.hSet(`cco:{${PROJECT}}:agents`, record.agent_id, JSON.stringify(record));
    await silent.sAdd(`cco:{${PROJECT}}:agents:live:node-z`, record.agent_id);
  });
  after(async () => {
    if (listener) destroyQuietly(listener);
    if (silent) destroyQuietly(silent);
    await s?.stop();
    await redis?.stop();
  });

  const beat = () => silent.zAdd(`cco:{${PROJECT}}:agents:nodes`, { score: Date.now(), value: 'node-z' });

  it('answers 503 AGT_004 after forward_timeout_ms when the owning node does not answer, naming the node, never hanging', async () => {
    for (const [method, path] of [
      ['GET', '/api/agents/agt_silent_1/status'],
      ['GET', '/api/agents/agt_silent_1/logs'],
      ['DELETE', '/api/agents/agt_silent_1'],
    ] as const) {
      await beat();
      const t0 = Date.now();
      const res = await s.request(method, path, { token: s.adminToken });
      expect(res.status, `${method} ${path}: ${res.text}`).to.equal(503);
      expect(res.body).to.include({ code: 'AGT_004' });
      expect(res.body.details).to.include({ agent_id: 'agt_silent_1', node_id: 'node-z' });
      expect(Date.now() - t0).to.be.within(350, 3_000);
    }
    const listed = await s.request('GET', '/api/agents', { token: s.adminToken });
    expect(listed.body.agents.map((a: any) => [a.agent_id, a.node_id])).to.deep.include(['agt_silent_1', 'node-z']);
  });

  it("answers 503 EVT_001 for the list and for another node's agent while Redis is down, and recovers by itself", async () => {
    await redis.halt();
    try {
      const t0 = Date.now();
      const listed = await s.request('GET', '/api/agents', { token: s.adminToken });
      expect(listed.status, listed.text).to.equal(503);
      expect(listed.body.code).to.equal('EVT_001');
      const status = await s.request('GET', '/api/agents/agt_silent_1/status', { token: s.adminToken });
      expect(status.status).to.equal(503);
      expect(status.body.code).to.equal('EVT_001');
      expect(Date.now() - t0).to.be.below(4_000);
      expect(listed.text).to.not.include(redis.url);
    } finally {
      await redis.resume();
    }
    await until(async () => (await s.request('GET', '/api/agents', { token: s.adminToken })).status === 200, 15_000, 100);
  });
});
