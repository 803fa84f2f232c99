import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { CappedLogSink } from '../../src/agents/log-sink.js';
import { readLogFrom, readLogTail } from '../../src/agents/log-reader.js';

describe('agents/log files', () => {
  let dir: string;
  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cco-logs-'));
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('caps the file, keeps draining, counts what it dropped and creates it 0600', async () => {
    const file = path.join(dir, 'cap.log');
    const sink = new CappedLogSink(file, 1000);
    const src = new PassThrough();
    sink.attach(src);
    for (let i = 0; i < 30; i++) src.write(Buffer.alloc(100, 0x61));
    src.end();
    await new Promise((r) => src.on('end', r));
    await sink.close();
    const text = await fsp.readFile(file, 'utf8');
    expect(text.startsWith('a'.repeat(1000))).to.equal(true);
    expect(text.slice(1000)).to.equal('\n[cco] log capped at 1000 bytes; further output is discarded\n');
    expect(sink.droppedBytes).to.equal(2000);
    expect((await fsp.stat(file)).mode & 0o777).to.equal(0o600);
  });

  it('refuses to write through a planted symlink', async () => {
    const target = path.join(dir, 'target');
    await fsp.writeFile(target, 'keep');
    await fsp.symlink(target, path.join(dir, 'planted.log'));
    expect(() => new CappedLogSink(path.join(dir, 'planted.log'), 100)).to.throw();
    expect(await fsp.readFile(target, 'utf8')).to.equal('keep');
  });

  it('tails the last N lines and follows from an offset without half lines', async () => {
    const file = path.join(dir, 'tail.log');
    await fsp.writeFile(file, 'one\ntwo\nthree\nfour\npart');
    const tail = await readLogTail(file, 2);
    expect(tail.lines).to.deep.equal(['four', 'part']);
    expect(tail.truncated).to.equal(true);
    const first = await readLogFrom(file, 0, false);
    expect(first.lines).to.deep.equal(['one', 'two', 'three', 'four']);
    expect(first.next_offset).to.equal(19);
    const rest = await readLogFrom(file, first.next_offset, true);
    expect(rest.lines).to.deep.equal(['part']);
    const missing = await readLogTail(path.join(dir, 'nope.log'), 5);
    expect(missing.lines).to.deep.equal([]);
  });
});
