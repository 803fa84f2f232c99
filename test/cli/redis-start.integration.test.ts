import { expect } from 'chai';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { RedisServer } from '../helpers/redis-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { runCli } from '../helpers/run-cli.js';

describe('CLI: start --detach --redis-url (real bin/run.js)', () => {
  let dir: string;
  let project: string;
  let redis: RedisServer;
  const password = 'cli-secret-pw';
  let env: Record<string, string>;

  before(async () => {
    redis = await RedisServer.start({ password });
    dir = await makeTempDir();
    project = path.join(dir, 'shop');
    await mkdir(project);
    await writeFile(path.join(project, 'package.json'), '{"name":"shop"}');
    env = { CCO_SIDECAR_STORAGE: path.join(dir, 'storage'), CCO_SIDECAR_PORT: '0', CCO_SIDECAR_JWT_SECRET: 'z'.repeat(48) };
  });
  after(async () => {
    await runCli(['orchestration', 'stop', '--force'], env);
    await removeDir(dir);
    await redis?.stop();
  });

  it('runs the events on Redis, shows neither the password on its command line nor in /health or its output', async () => {
    const res = await runCli(['orchestration', 'start', '--detach', '--json', '--redis-url', redis.url], env, { cwd: project });
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout + res.stderr).not.to.include(password);
    const cmdline = await readFile(`/proc/${res.json.pid}/cmdline`, 'utf8');
    expect(cmdline).not.to.include(password);
    const health = (await (await fetch(`${res.json.url}/health`)).json()) as { checks: { event_bus: string }; warnings: string[] };
    expect(health.checks.event_bus).to.equal('ok');
    expect(health.warnings.join(' ')).to.match(/appendonly is off/);
    const log = await readFile(path.join(env.CCO_SIDECAR_STORAGE!, 'logs', 'sidecar.out'), 'utf8');
    expect(log).to.include('events, revocations and rate limits on redis://:***@127.0.0.1');
    expect(log).not.to.include(password);
    // The stream is on Redis: the sidecar's publishes land in the project's stream there.
    const token = await runCli(['orchestration', 'token', '--agent-type', 'python-specialist', '--json'], env, { cwd: project });
    const jwt = (token.json as { token: string }).token;
    const pub = await fetch(`${res.json.url}/api/events/cli_check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: '{"data":{}}',
    });
    expect(pub.status).to.equal(202);
    const { createClient } = await import('redis');
    const probe = createClient({ url: redis.url });
    await probe.connect();
    expect(await probe.xLen('cco:{shop}:events')).to.be.at.least(1);
    await probe.quit();
  });
});
