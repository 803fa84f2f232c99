import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFor } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { startSidecar } from '../../src/sidecar/start-sidecar.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { mountSmallDisk, type SmallDisk } from '../helpers/tmpfs.js';
import { expectContractError } from '../helpers/contract.js';

/** Every path under `dir` (lstat, never following links) with its mode. */
async function walk(dir: string): Promise<Array<{ file: string; mode: number; isDir: boolean }>> {
  const out = [{ file: dir, mode: (await lstat(dir)).mode & 0o7777, isDir: true }];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(file)));
    else out.push({ file, mode: (await lstat(file)).mode & 0o7777, isDir: false });
  }
  return out;
}

const HELPERS = fileURLToPath(new URL('../helpers/', import.meta.url));

describe('security: storage dirs 0700 and files 0600 even under umask 000', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('cco-umask-');
  });
  after(async () => {
    await removeDir(dir);
  });

  it('a sidecar started with umask 0 creates nothing wider than 0700/0600', async function () {
    this.timeout(30_000);
    const storage = path.join(dir, 'storage', 'orchestration');
    // The child sets umask 0, starts a real sidecar, writes through every path that exists on this
    // branch (key, pid/state, revocations, audit log with rotation), then waits for us to look.
    const script = path.join(dir, 'child.mjs');
    await writeFile(
      script,
      `
      process.umask(0);
      const { startTestServer } = await import(${JSON.stringify(path.join(HELPERS, 'test-server.js'))});
      const s = await startTestServer({ storage: ${JSON.stringify(storage)}, config: { audit: { max_file_bytes: 4096, max_files: 2 } } });
      for (let i = 0; i < 40; i++) {
        const victim = await s.tokenFor({ sub: 'v' + i });
        const { jti } = await s.handle.deps.tokens.verify(victim);
        await s.request('POST', '/api/auth/revoke', { token: s.adminToken, body: { jti } });
      }
      const agent = await s.tokenFor({ sub: 'py-1', agent_type: 'python-specialist' });
      for (const status of ['success', 'failed']) {
        await s.request('POST', '/api/results', { token: agent, body: { agent_id: 'py-1', agent_type: 'python-specialist', issue_id: 'ISSUE-1', result: { status } } });
      }
      await s.request('GET', '/status');
      process.stdout.write('READY\\n');
      process.stdin.on('end', async () => { await s.stop(); process.exit(0); });
      process.stdin.resume();
    `,
    );
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('READY')) resolve();
      });
      child.once('exit', () => reject(new Error(`child exited early: ${out}`)));
    });
    try {
      expect(process.umask()).not.to.equal(0); // only the child had umask 0
      const running = await walk(storage);
      const names = running.map((e) => path.relative(storage, e.file));
      for (const expected of ['', 'jwt.key', 'sidecar.pid', 'sidecar.json', 'revoked.json', 'audit.log', 'audit.log.1', 'audit.log.2']) {
        expect(names, `${expected} exists`).to.include(expected);
      }
      // Whatever components created (results tree, journals, …) is held to the same modes.
      expect(names.filter((n) => n.startsWith('results')).length, 'result files exist').to.be.above(2);
      for (const e of running) expect(e.mode, e.file).to.equal(e.isDir ? 0o700 : 0o600);
    } finally {
      child.stdin.end();
      expect(await exited).to.equal(0);
    }
    for (const e of await walk(storage)) expect(e.mode, `${e.file} after stop`).to.equal(e.isDir ? 0o700 : 0o600);
  });
});

describe('security: a full disk', () => {
  let disk: SmallDisk | undefined;
  let s: TestServer | undefined;
  let skipReason: string | undefined;
  before(async () => {
    // Larger than the 64 MiB low-disk threshold, so "healthy" before and after is measurable.
    const mounted = await mountSmallDisk(72);
    if ('unavailable' in mounted) {
      skipReason = mounted.unavailable;
      return;
    }
    disk = mounted;
    s = await startTestServer({ storage: path.join(disk.dir, 'orchestration') });
  });
  after(async () => {
    await s?.stop();
    await disk?.unmount();
  });

  it('answers 507 STR_001, leaves no partial file, reports storage degraded, and writes again once space is back', async function () {
    if (skipReason) {
      console.warn(`      skipped: ${skipReason}`);
      return this.skip();
    }
    const server = s!;
    const victim = await server.tokenFor({ sub: 'victim' });
    const { jti } = await server.handle.deps.tokens.verify(victim);
    expect((await server.request('GET', '/health')).body.checks.storage).to.equal('ok');

    await disk!.fill();
    const refused = await server.request('POST', '/api/auth/revoke', { token: server.adminToken, body: { jti } });
    expectContractError(refused, 507, 'STR_001');
    expect(refused.body.error).to.equal('insufficient_storage');
    // Whichever write hit the full disk first (audit intent or revoked.json), nothing was persisted;
    // a revocation that reached the store stays in force in memory (fail safe) and is persisted on retry.
    const health = (await server.request('GET', '/health')).body;
    expect(health.checks.storage).to.equal('degraded');
    expect(health.status).to.be.oneOf(['degraded', 'unhealthy']);
    // No partial file: no temp files, every audit line whole, revocation list intact.
    const files = await walk(server.storage);
    expect(files.filter((e) => /\.tmp$/.test(e.file)).map((e) => e.file)).to.deep.equal([]);
    for (const line of (await readFile(path.join(server.storage, 'audit.log'), 'utf8')).split('\n').filter(Boolean)) JSON.parse(line);
    const revoked = await readFile(path.join(server.storage, 'revoked.json'), 'utf8').catch(() => '{}');
    expect(JSON.parse(revoked)).not.to.have.property(jti);

    // The result store: 507 on a full disk, nothing stored, nothing partial.
    const agent = await server.tokenFor({ sub: 'py-1', agent_type: 'python-specialist' });
    const result = { agent_id: 'py-1', agent_type: 'python-specialist', issue_id: 'FULL-1', result: { status: 'success', rationale: 'r'.repeat(20_000) } };
    expectContractError(await server.request('POST', '/api/results', { token: agent, body: result }), 507, 'STR_001');
    expect((await server.request('GET', '/api/results?issue_id=FULL-1', { token: agent })).body.results).to.deep.equal([]);
    expect((await walk(server.storage)).filter((e) => /\.tmp$/.test(e.file)).map((e) => e.file)).to.deep.equal([]);

    await disk!.release();
    const stored = await server.request('POST', '/api/results', { token: agent, body: result });
    expect(stored.status).to.equal(201);
    expect((await server.request('GET', '/api/results?issue_id=FULL-1', { token: agent })).body.results).to.have.length(1);
    const ok = await server.request('POST', '/api/auth/revoke', { token: server.adminToken, body: { jti } });
    expect(ok.status).to.equal(200);
    expect(JSON.parse(await readFile(path.join(server.storage, 'revoked.json'), 'utf8'))).to.have.property(jti);
    expect((await server.request('GET', '/status', { token: victim })).status).to.equal(401);
    expect((await server.request('GET', '/health')).body.checks.storage).to.equal('ok');
  });
});

describe('security: start-up refusals', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('cco-refuse-');
  });
  after(async () => {
    await removeDir(dir);
  });

  for (const [name, root] of [
    ['the file-system root', '/'],
    ['the home directory', os.homedir()],
  ] as const) {
    it(`refuses ${name} as project root, before touching storage`, async () => {
      const storage = path.join(dir, `s-${name.replace(/\W+/g, '-')}`);
      const config = configFor({ port: 0, project_root: root, storage_path: storage, log_level: 'silent', watch: false });
      const err = await startSidecar({ config, logger: createLogger({ level: 'silent' }) }).catch((e: Error) => e);
      expect(err).to.be.instanceOf(Error);
      expect((err as Error).message).to.match(/^Refusing to serve the (file-system root|home directory)/);
      expect(await stat(storage).catch(() => undefined)).to.equal(undefined);
    });
  }

  it('fails fast for a second sidecar on the same storage dir while the first keeps serving', async function () {
    this.timeout(30_000);
    const s = await startTestServer();
    try {
      const stateBefore = await readFile(path.join(s.storage, 'sidecar.json'), 'utf8');
      const project = path.join(dir, 'second');
      await mkdir(project);
      const started = Date.now();
      const second = await runCli(['orchestration', 'start', '--port', '0', '--no-watch', '--project', project, '--storage-path', s.storage]);
      expect(second.code).to.not.equal(0);
      expect(second.stderr).to.contain(`Another sidecar (pid ${process.pid})`);
      expect(Date.now() - started).to.be.below(10_000);
      expect((await s.request('GET', '/status', { token: s.adminToken })).status).to.equal(200);
      expect(await readFile(path.join(s.storage, 'sidecar.json'), 'utf8')).to.equal(stateBefore);
      expect((await readFile(path.join(s.storage, 'sidecar.pid'), 'utf8')).split('\n')[0]).to.equal(String(process.pid));
    } finally {
      await s.stop();
    }
  });
});
