import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { readBootId, readProcStat } from '../../src/agents/proc-stat.js';
import {
  acquirePidLock,
  currentOwner,
  formatOwner,
  isOwnerAlive,
  LockHeldError,
  parseOwner,
  readOwner,
  signalOwner,
  type LockOwner,
} from '../../src/storage/pid-lock.js';

/** A live process that is not a sidecar (stands in for whatever got a recycled pid). */
function bystander(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

describe('pid lock', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await makeTempDir('cco-lock-');
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await removeDir(dir);
  });

  it('records pid and start time, pid alone on the first line, 0600', async () => {
    const file = path.join(dir, 'x.pid');
    const lock = await acquirePidLock(file);
    const text = await fsp.readFile(file, 'utf8');
    expect(text.split('\n')[0]).to.equal(String(process.pid));
    expect(await readOwner(file)).to.deep.equal({ pid: process.pid, startTicks: readProcStat(process.pid)!.startTicks, bootId: readBootId() });
    expect((await fsp.stat(file)).mode & 0o777).to.equal(0o600);
    await lock.release();
    await lock.release();
    expect(await fsp.stat(file).catch(() => null)).to.equal(null);
  });

  it('reads a pid-only file of an earlier version and rejects garbage', () => {
    expect(parseOwner('123\n')).to.deep.equal({ pid: 123, startTicks: null, bootId: null });
    expect(parseOwner('12x\n')).to.equal(undefined);
    expect(parseOwner('-4\n')).to.equal(undefined);
    expect(parseOwner(formatOwner({ pid: 7, startTicks: 99, bootId: 'b' }))).to.deep.equal({ pid: 7, startTicks: 99, bootId: 'b' });
  });

  it('takes a stale lock that holds our own pid from an earlier life', async () => {
    const file = path.join(dir, 'x.pid');
    await fsp.writeFile(file, `${process.pid}\n1 old-boot\n`);
    const lock = await acquirePidLock(file);
    expect((await readOwner(file))!.startTicks).to.equal(currentOwner().startTicks);
    await lock.release();
  });

  it('refuses a second take in the same process', async () => {
    const file = path.join(dir, 'x.pid');
    const lock = await acquirePidLock(file);
    const err = await acquirePidLock(file, { reentrantMessage: 'mine already' }).catch((e: Error) => e);
    expect((err as Error).message).to.equal('mine already');
    await lock.release();
  });

  it('refuses a lock its recorded process still holds', async () => {
    const child = bystander();
    children.push(child);
    const file = path.join(dir, 'x.pid');
    const owner: LockOwner = { pid: child.pid!, startTicks: readProcStat(child.pid!)!.startTicks, bootId: readBootId() };
    await fsp.writeFile(file, formatOwner(owner));
    expect(isOwnerAlive(owner)).to.equal(true);
    const err = await acquirePidLock(file).catch((e: Error) => e);
    expect(err).to.be.instanceOf(LockHeldError);
    expect((err as LockHeldError).owner.pid).to.equal(child.pid);
  });

  it('takes a lock whose pid now belongs to another process (recycled pid: start time differs)', async () => {
    const child = bystander();
    children.push(child);
    const file = path.join(dir, 'x.pid');
    const recycled: LockOwner = { pid: child.pid!, startTicks: readProcStat(child.pid!)!.startTicks - 1, bootId: readBootId() };
    await fsp.writeFile(file, formatOwner(recycled));
    expect(isOwnerAlive(recycled)).to.equal(false);
    const lock = await acquirePidLock(file);
    expect((await readOwner(file))!.pid).to.equal(process.pid);
    await lock.release();
  });

  it('never signals a recycled pid, and reports ESRCH and EPERM instead of throwing', async () => {
    const child = bystander();
    children.push(child);
    const stat = readProcStat(child.pid!)!;
    const sent: Array<[number, string]> = [];
    const record = (pid: number, signal: NodeJS.Signals): void => {
      sent.push([pid, signal]);
    };
    expect(signalOwner({ pid: child.pid!, startTicks: stat.startTicks + 5, bootId: readBootId() }, 'SIGTERM', record)).to.equal('not_recorded_process');
    expect(signalOwner({ pid: child.pid!, startTicks: stat.startTicks, bootId: 'another-boot' }, 'SIGTERM', record)).to.equal('not_recorded_process');
    expect(sent).to.deep.equal([]);
    const owner: LockOwner = { pid: child.pid!, startTicks: stat.startTicks, bootId: readBootId() };
    const failWith = (code: string) => (): void => {
      throw Object.assign(new Error(code), { code });
    };
    expect(signalOwner(owner, 'SIGTERM', failWith('EPERM'))).to.equal('not_permitted');
    expect(signalOwner(owner, 'SIGTERM', failWith('ESRCH'))).to.equal('gone');
    expect(signalOwner(owner, 'SIGTERM')).to.equal('sent');
    await exited(child);
    expect(signalOwner(owner, 'SIGTERM')).to.equal('gone');
  });
});
