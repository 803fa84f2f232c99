import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { openLogger } from '../../src/logging/create-logger.js';

describe('sidecar.log', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('cco-log-');
  });
  afterEach(() => removeDir(dir));

  it('rotates by size into sidecar.log.1 … .<max_files> and drops the oldest, every file 0600', async () => {
    const { logger, close } = openLogger({ level: 'info', logDir: dir, maxFileBytes: 4096, maxFiles: 2 });
    for (let i = 0; i < 400; i++) {
      logger.info({ i, pad: 'x'.repeat(100) }, 'line');
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await close();
    expect((await fsp.readdir(dir)).sort()).to.deep.equal(['sidecar.log', 'sidecar.log.1', 'sidecar.log.2']);
    for (const name of await fsp.readdir(dir)) {
      const st = await fsp.stat(path.join(dir, name));
      expect(st.mode & 0o777, name).to.equal(0o600);
      expect(st.size, name).to.be.at.most(4096 + 512);
    }
    // Whole JSON lines only; the newest are kept, the oldest dropped, newest file first.
    const linesOf = async (name: string): Promise<number[]> =>
      (await fsp.readFile(path.join(dir, name), 'utf8'))
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { i: number }).i);
    const kept = [...(await linesOf('sidecar.log.2')), ...(await linesOf('sidecar.log.1')), ...(await linesOf('sidecar.log'))];
    expect(kept.at(-1)).to.equal(399);
    expect(kept).to.not.include(0);
    expect(kept).to.deep.equal([...kept].sort((a, b) => a - b));
  });

  it('does not crash on a line logged after close', async () => {
    const { logger, close } = openLogger({ level: 'info', logDir: dir });
    logger.info('before');
    await close();
    await close();
    logger.info('after');
    await new Promise((r) => setTimeout(r, 20));
    expect(await fsp.readFile(path.join(dir, 'sidecar.log'), 'utf8')).to.contain('"before"');
  });
});
