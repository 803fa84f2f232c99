import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BIN } from '../helpers/run-cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('CLI: start in the foreground', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir();
  });
  after(async () => {
    await removeDir(dir);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`exits 0 within 5 s on ${signal} and removes its pid and state files`, async () => {
      const project = path.join(dir, `p-${signal}`);
      const storage = path.join(dir, `s-${signal}`);
      await mkdir(project);
      await writeFile(path.join(project, 'go.mod'), 'module x\n');
      const child = spawn(process.execPath, [BIN, 'orchestration', 'start', '--port', '0', '--no-watch'], {
        cwd: project,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CCO_SIDECAR_STORAGE: storage },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      for (let i = 0; i < 100 && !out.includes('listening on'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).to.match(/listening on http:\/\/127\.0\.0\.1:\d+/);
      await access(path.join(storage, 'sidecar.pid'));
      const started = Date.now();
      child.kill(signal);
      expect(await exited).to.equal(0);
      expect(Date.now() - started).to.be.below(5_000);
      let pidFileGone = false;
      try {
        await access(path.join(storage, 'sidecar.pid'));
      } catch {
        pidFileGone = true;
      }
      expect(pidFileGone).to.equal(true);
    });
  }

  it('refuses the home directory as project root', async () => {
    const child = spawn(process.execPath, [BIN, 'orchestration', 'start', '--port', '0', '--project', process.env.HOME!], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CCO_SIDECAR_STORAGE: path.join(dir, 'home-refused') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).to.equal(1);
    expect(err).to.contain('Refusing to serve the home directory');
  });
});
