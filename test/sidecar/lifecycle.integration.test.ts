import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { configFor } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { startSidecar, StartupError } from '../../src/sidecar/start-sidecar.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('sidecar lifecycle', function () {
  this.timeout(30_000);
  let storageRoot: string;
  let server: TestServer | undefined;
  beforeEach(async () => {
    storageRoot = await makeTempDir('cco-life-');
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await removeDir(storageRoot);
  });

  it('starts when a stale pid file holds its own pid (a container restarted on a kept volume)', async () => {
    const storage = path.join(storageRoot, 'orchestration');
    await fsp.mkdir(storage, { mode: 0o700 });
    await fsp.writeFile(path.join(storage, 'sidecar.pid'), `${process.pid}\n`, { mode: 0o600 });
    server = await startTestServer({ storage });
    expect((await server.request('GET', '/health')).status).to.equal(200);
    expect((await fsp.readFile(path.join(storage, 'sidecar.pid'), 'utf8')).split('\n')[0]).to.equal(String(process.pid));
  });

  it('publishes the last files_changed before the bus closes, so it is in the journal after a restart', async () => {
    const project = path.join(storageRoot, 'project');
    await fsp.mkdir(project);
    await fsp.writeFile(path.join(project, 'a.ts'), 'export const a = 1;\n');
    // A long debounce: the change is still pending when the sidecar stops.
    server = await startTestServer({
      projectRoot: project,
      storage: path.join(storageRoot, 'orchestration'),
      config: { watch: true, context: { debounce_ms: 30_000 } },
    });
    const context = server.handle.deps.context;
    await until(() => context.watcherReport().phase === 'ok', 'the watcher');
    const before = context.watcherReport().indexed_files;
    await fsp.writeFile(path.join(project, 'b.ts'), 'export const b = 2;\n');
    await until(async () => {
      await context.settle();
      return context.watcherReport().indexed_files > before;
    }, 'the watcher to see b.ts');
    await server.restart();
    const res = await server.request('GET', '/api/events?type=files_changed', { token: server.adminToken });
    expect(res.status).to.equal(200);
    expect(res.body.events.map((e: { data: { paths: string[] } }) => e.data.paths)).to.deep.equal([['b.ts']]);
  });

  it('closes what a failed start built, in the shutdown order, so the same storage starts again at once', async () => {
    const storage = path.join(storageRoot, 'orchestration');
    const project = path.join(storageRoot, 'project');
    await fsp.mkdir(project);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const config = configFor({ port, project_root: project, storage_path: storage, log_level: 'silent', watch: false });
      const err = await startSidecar({ config, logger: createLogger({ level: 'silent' }) }).catch((e: Error) => e);
      expect(err).to.be.instanceOf(StartupError);
      // Pid lock, journal lock and state file are gone: nothing of the failed start holds the dir.
      expect(await fsp.readdir(storage))
        .to.not.include.members(['sidecar.pid'])
        .and.not.include('sidecar.json');
      expect(await fsp.readdir(path.join(storage, 'events'))).to.not.include('journal.lock');
    } finally {
      blocker.close();
    }
    server = await startTestServer({ storage, projectRoot: project });
    expect((await server.request('GET', '/health')).status).to.equal(200);
  });

  it('answers a pending long-poll at once when it stops, instead of holding shutdown for the wait', async () => {
    server = await startTestServer({ storage: path.join(storageRoot, 'orchestration') });
    const waiting = server.request('GET', '/api/events/wait/never?since=now&timeout=60000', { token: server.adminToken });
    await until(() => server!.handle.deps.bus.stats().active_subscriptions === 1, 'the wait to block');
    const started = Date.now();
    await server.handle.close();
    const res = await waiting;
    expect(Date.now() - started).to.be.below(3_000);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ timeout: true });
  });
});
