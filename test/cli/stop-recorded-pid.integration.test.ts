import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { readBootId, readProcStat } from '../../src/agents/proc-stat.js';

describe('CLI: stop signals only the recorded sidecar', () => {
  let dir: string;
  let bystander: ChildProcess;
  before(async () => {
    dir = await makeTempDir();
    // Whatever now holds the pid the dead sidecar had recorded.
    bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((r) => bystander.once('spawn', r));
  });
  after(async () => {
    if (bystander.exitCode === null && bystander.signalCode === null) {
      bystander.kill('SIGKILL');
      await new Promise((r) => bystander.once('exit', r));
    }
    await removeDir(dir);
  });

  it('leaves a process alone whose pid was recycled (start time differs) and removes the stale files', async () => {
    const storage = path.join(dir, 'storage');
    await fsp.mkdir(storage, { mode: 0o700 });
    const startTicks = readProcStat(bystander.pid!)!.startTicks;
    await fsp.writeFile(path.join(storage, 'sidecar.pid'), `${bystander.pid}\n${startTicks - 1} ${readBootId()}\n`);
    await fsp.writeFile(path.join(storage, 'sidecar.json'), '{}\n');
    const res = await runCli(['orchestration', 'stop', '--json'], { CCO_SIDECAR_STORAGE: storage });
    expect(res.code, res.stderr).to.equal(0);
    expect(res.json).to.deep.include({ stopped: false, pid: bystander.pid, forced: false });
    await new Promise((r) => setTimeout(r, 200));
    expect(bystander.exitCode).to.equal(null);
    expect(bystander.signalCode).to.equal(null);
    expect(await fsp.readdir(storage)).to.deep.equal([]);
  });
});
