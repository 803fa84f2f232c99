import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { configFor } from '../../src/config/load-config.js';
import { createContextService, type ContextService } from '../../src/context/service/context-service.js';
import { cleanup, eventually, tempDir, writeTree } from './helpers.js';

async function change(svc: ContextService, fn: () => Promise<void>): Promise<void> {
  const v0 = svc.watcherReport().index_version;
  await fn();
  await eventually(() => svc.watcherReport().index_version > v0, 5000, 5);
  await svc.settle();
}

for (const backend of ['native', 'chokidar'] as const) {
  describe(`watcher backend: ${backend} (integration)`, function () {
    this.timeout(30_000);
    let base: string;
    let root: string;
    let svc: ContextService;
    const q = { issue_id: 'W', agent_type: 'python-specialist', max_files: 100 };
    const files = async (): Promise<string[]> => (await svc.getContext(q)).context.project_structure.files;

    before(async () => {
      base = await tempDir();
      root = path.join(base, 'p');
      await writeTree(root, { 'app/main.py': 'x = 1\n', 'app/util.py': 'y = 2\n', 'lib/deep/more.py': 'z = 3\n', '.gitignore': 'tmp/\n' });
      await fsp.mkdir(path.join(root, 'empty'), { recursive: true });
      svc = createContextService({
        config: configFor({ project_root: root, storage_path: path.join(base, 's'), context: { watcher: backend, ttl_ms: 60_000 } }),
        useGit: false,
      });
      await svc.start();
      await eventually(() => svc.watcherReport().phase === 'ok', 15_000);
      expect(svc.watcherReport().watched_directories).to.be.greaterThan(0);
    });
    after(async () => {
      await svc?.close();
      await cleanup(base);
    });

    it('sees an edit', async () => {
      await svc.getContext(q);
      await change(svc, () => fsp.writeFile(path.join(root, 'app/main.py'), 'x = 42\n'));
      const res = await svc.getContext(q);
      expect(res.cache_hit).to.equal(false);
      expect(res.context.relevant_files.find((f) => f.path === 'app/main.py')!.content).to.equal('x = 42\n');
    });

    it('sees an add, also in a directory that was empty at start', async () => {
      await change(svc, () => writeTree(root, { 'empty/new.py': 'n = 1\n' }));
      expect(await files()).to.include('empty/new.py');
    });

    it('sees a delete', async () => {
      await change(svc, () => fsp.rm(path.join(root, 'app/util.py')));
      expect(await files()).to.not.include('app/util.py');
    });

    it('sees a rename across directories', async () => {
      await change(svc, () => fsp.rename(path.join(root, 'lib/deep/more.py'), path.join(root, 'app/more.py')));
      const f = await files();
      expect(f).to.include('app/more.py').and.not.include('lib/deep/more.py');
    });

    it('sees a removed directory and files in a new one', async () => {
      const watchedBefore = svc.watcherReport().watched_directories;
      await change(svc, () => writeTree(root, { 'lib/deep/again.py': 'a = 1\n' }));
      await change(svc, () => fsp.rm(path.join(root, 'lib'), { recursive: true }));
      expect(await files()).to.not.include('lib/deep/again.py');
      await eventually(() => svc.watcherReport().watched_directories < watchedBefore);
      await change(svc, () => writeTree(root, { 'fresh/sub/f.py': 'f = 1\n' }));
      await eventually(async () => (await files()).includes('fresh/sub/f.py'));
      await change(svc, () => writeTree(root, { 'fresh/sub/g.py': 'g = 1\n' }));
      expect(await files()).to.include('fresh/sub/g.py');
    });

    it('ignores what .gitignore ignores', async () => {
      const n = svc.watcherReport().indexed_files;
      await writeTree(root, { 'tmp/scratch.py': 's = 1\n' });
      await new Promise((r) => setTimeout(r, 200));
      await svc.settle();
      expect(svc.watcherReport().indexed_files).to.equal(n);
    });
  });
}
