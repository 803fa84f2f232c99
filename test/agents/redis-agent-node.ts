/**
 * Test helper process: a sidecar on the Redis at argv[2] (project argv[3], node id argv[4]) that
 * spawns one sleeping agent, prints `{agent_id, process_id, storage}` as one JSON line, and runs
 * until the test kills it with SIGKILL (its agent, in its own process group, survives it).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { startTestServer } from '../helpers/test-server.js';
import { FIXTURE_AGENT } from './helpers.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const [url, projectId, nodeId] = process.argv.slice(2) as [string, string, string];
const dir = await makeTempDir('cco-agent-node-');
const fixture = path.join(dir, 'fixture-agent.mjs');
await fsp.writeFile(fixture, FIXTURE_AGENT);
const s = await startTestServer({
  config: {
    project_id: projectId,
    node_id: nodeId,
    jwt_secret: 'z'.repeat(48),
    agent_nice: 0,
    redis: { url, heartbeat_ms: 200 },
    agents: { 'sleepy-engineer': { command: process.execPath, args: [fixture, 'sleep', '{task}'] } },
  },
});
const res = await s.request('POST', '/api/agents/spawn', { token: s.adminToken, body: { agent_type: 'sleepy-engineer', issue_id: 'ISSUE-9', task: '60000' } });
process.stdout.write(`${JSON.stringify({ agent_id: res.body.agent_id, process_id: res.body.process_id, storage: s.storage, dir })}\n`);
setInterval(() => undefined, 60_000);
