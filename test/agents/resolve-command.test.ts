import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveExecutable } from '../../src/agents/resolve-command.js';

describe('agents/resolve-command', () => {
  it('finds commands in PATH or by path, and nothing that is not an executable file', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cco-resolve-'));
    try {
      await fsp.writeFile(path.join(dir, 'plain'), 'x', { mode: 0o644 });
      await fsp.writeFile(path.join(dir, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
      expect(resolveExecutable('node', `/nonexistent:${process.env.PATH ?? ''}`, '/')).to.be.a('string');
      expect(resolveExecutable(process.execPath, '', '/')).to.equal(process.execPath);
      expect(resolveExecutable('tool', `/nonexistent:${dir}`, '/')).to.equal(path.join(dir, 'tool'));
      expect(resolveExecutable('./tool', '', dir)).to.equal(path.join(dir, 'tool'));
      expect(resolveExecutable('definitely-not-a-command-xyz', process.env.PATH, '/')).to.equal(null);
      expect(resolveExecutable('plain', dir, '/')).to.equal(null);
      expect(resolveExecutable(dir, '', '/')).to.equal(null);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
