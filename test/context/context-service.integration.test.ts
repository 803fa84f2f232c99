import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { configFor } from '../../src/config/load-config.js';
import { createContextService, type ContextService } from '../../src/context/service/context-service.js';
import type { PreviousAgentOutput } from '../../src/context/service/context-types.js';
import type { PublishInput } from '../../src/context/service/context-service.js';
import { ContextBudgetError } from '../../src/errors/index.js';
import { cleanup, eventually, git, gitCommitAll, gitInit, tempDir, writeTree } from './helpers.js';

const FAKE_GH = 'ghp_' + 'Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2';
const FAKE_AWS = 'AKIA' + 'ABCDEFGHIJKLMNOP';

const SECRET_FILES: Record<string, string> = {
  '.env': 'DB_PASSWORD=hunter2\n',
  '.env.local': 'X=1\n',
  'config/.env.production': 'Y=2\n',
  'keys/server.pem': '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n',
  'keys/tls.key': 'k\n',
  id_rsa: 'k\n',
  'deploy/id_ed25519': 'k\n',
  'certs/client.p12': 'p12\n',
  '.npmrc': '//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789\n',
  '.pypirc': '[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc\n',
  'credentials.json': '{"type":"service_account"}\n',
  '.aws/credentials': '[default]\naws_access_key_id=x\n',
  '.netrc': 'machine github.com login x password y\n',
  kubeconfig: 'apiVersion: v1\n',
  '.kube/config': 'apiVersion: v1\n',
};

const SOURCE_FILES: Record<string, string> = {
  'README.md': '# Demo project\n\nHow to run it.\n',
  'package.json': JSON.stringify(
    { name: 'demo', dependencies: { koa: '^3.0.0' }, devDependencies: { typescript: '^5.9.0' }, engines: { node: '>=20' } },
    null,
    2,
  ),
  'tsconfig.json': '{"compilerOptions":{"strict":true}}\n',
  'src/index.ts': 'export function main(): number {\n  return 1;\n}\n',
  'src/config.ts': [
    'export const config = {',
    `  githubToken: '${FAKE_GH}',`,
    `  awsKeyId: '${FAKE_AWS}',`,
    "  password: 'hunter2-is-not-safe',",
    '};',
    '-----BEGIN RSA PRIVATE KEY-----',
    'MIIEpAIBAAKCAQEAsecretsecretsecret',
    '-----END RSA PRIVATE KEY-----',
    '',
  ].join('\n'),
  'src/util/math.ts': 'export const add = (a: number, b: number) => a + b;\n',
  'src/util/math.test.ts': "import { add } from './math.js';\n",
  'pyproject.toml': '[project]\nname = "demo-py"\nrequires-python = ">=3.11"\ndependencies = ["requests>=2.31"]\n',
  'tools/report.py': 'print("report")\n',
  'docs/guide.md': '# Guide\n',
  '.npmrc.example': 'registry=https://registry.npmjs.org/\n',
  'sub/.npmrc': 'registry=https://registry.npmjs.org/\nsave-exact=true\n',
  'coverage/coverage-summary.json': JSON.stringify({ total: { lines: { pct: 75.5 }, statements: { pct: 70 }, functions: { pct: 60 }, branches: { pct: 50 } } }),
  'node_modules/dep/index.js': 'module.exports = 1;\n',
  'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]) as unknown as string,
  'src/data.bin.ts': Buffer.concat([Buffer.from('export const x = 1;\n'), Buffer.from([0, 1, 2])]) as unknown as string,
  'src/huge.ts': `// huge\n${'export const filler = "0123456789";\n'.repeat(40_000)}`,
  '.gitignore': 'coverage/\nnode_modules/\n',
};

function paths(res: { context: { relevant_files: Array<{ path: string }> } }): string[] {
  return res.context.relevant_files.map((f) => f.path);
}

async function waitWatching(svc: ContextService): Promise<void> {
  await eventually(() => svc.watcherReport().phase === 'ok', 15_000);
}

/** Make a change and wait until the watcher has applied it to the index. */
async function change(svc: ContextService, fn: () => Promise<void>): Promise<void> {
  const v0 = svc.watcherReport().index_version;
  await fn();
  await eventually(() => svc.watcherReport().index_version > v0, 5000, 5);
  await svc.settle();
}

describe('context service (integration)', function () {
  this.timeout(60_000);
  let base: string;
  let root: string;
  let storage: string;
  let svc: ContextService;
  const events: PublishInput[] = [];
  let outputs: PreviousAgentOutput[] = [];
  let previousCalls = 0;

  before(async () => {
    base = await tempDir();
    root = path.join(base, 'demo');
    storage = path.join(base, 'storage');
    await writeTree(root, { ...SOURCE_FILES, ...SECRET_FILES });
    await fsp.symlink(path.join(base, 'outside'), path.join(root, 'link-out'));
    await writeTree(base, { 'outside/stolen.ts': 'export const stolen = true;\n' });
    await fsp.symlink('src', path.join(root, 'loop'));
    await fsp.symlink('.', path.join(root, 'self'));
    execFileSync('mkfifo', [path.join(root, 'src', 'pipe.ts')]);
    gitInit(root);
    git(root, 'remote', 'add', 'origin', 'https://deploy:' + FAKE_GH + '@github.com/acme/demo.git');
    gitCommitAll(root, 'initial commit');
    await writeTree(root, { 'src/util/math.ts': 'export const add = (a: number, b: number) => a + b;\nexport const sub = (a: number, b: number) => a - b;\n' });
    gitCommitAll(root, 'feat: subtraction');
    // Uncommitted work: a modification and an untracked file.
    await writeTree(root, {
      'src/index.ts': 'export function main(): number {\n  return 2;\n}\n// wip\n',
      'src/new-feature.ts': 'export const feature = 1;\nexport const more = 2;\n',
    });
    svc = createContextService({
      config: configFor({ project_root: root, storage_path: storage, context: { ttl_ms: 60_000, debounce_ms: 20 } }),
      ...(process.env.CTX_DEBUG
        ? {
            logger: {
              debug: (o: object, m?: string) => console.log('debug', m, JSON.stringify(o)),
              info() {},
              warn: (o: object, m?: string) => console.log('warn', m, o),
              error: (o: object, m?: string) => console.log('error', m, o),
            },
          }
        : {}),
      publish: (e) => {
        events.push(e);
      },
      previousOutputs: async (projectId, issueId) => {
        previousCalls++;
        expect(projectId).to.equal('demo');
        return issueId === 'ISSUE-PREV' ? outputs : [];
      },
    });
    await svc.start();
  });
  after(async () => {
    await svc?.close();
    await cleanup(base);
  });

  it('answers with the exact contract shape, then from the cache', async () => {
    const first = await svc.getContext({ issue_id: 'ISSUE-1', agent_type: 'typescript-specialist' });
    expect(first).to.have.all.keys(
      'issue_id',
      'agent_type',
      'context',
      'truncated',
      'truncation_strategy',
      'total_size_bytes',
      'file_count',
      'token_estimate',
      'generation_ms',
      'timestamp',
      'cache_hit',
    );
    expect(first.context).to.have.all.keys(
      'project_structure',
      'relevant_files',
      'git_context',
      'previous_agent_outputs',
      'metadata',
      'issue',
      'code_map',
      'search_index',
    );
    expect(first.context.project_structure).to.have.all.keys(
      'root',
      'files',
      'directories',
      'total_files',
      'total_size_bytes',
      'files_truncated',
      'by_language',
    );
    expect(first.cache_hit).to.equal(false);
    expect(first.issue_id).to.equal('ISSUE-1');
    expect(first.file_count).to.equal(first.context.relevant_files.length);
    expect(first.total_size_bytes).to.equal(first.context.relevant_files.reduce((n, f) => n + Buffer.byteLength(f.content), 0));
    expect(first.token_estimate).to.be.greaterThan(first.total_size_bytes / 4 - 1);
    for (const f of first.context.relevant_files) {
      expect(f).to.have.all.keys('path', 'content', 'last_modified', 'size', 'language', 'checksum', 'truncated', 'reason');
      expect(f.checksum).to.match(/^sha256:[0-9a-f]{64}$/);
      expect(f.reason).to.be.a('string').and.not.equal('');
      expect(path.isAbsolute(f.path)).to.equal(false);
    }
    const second = await svc.getContext({ issue_id: 'ISSUE-1', agent_type: 'typescript-specialist' });
    expect(second.cache_hit).to.equal(true);
    expect(second.context.relevant_files).to.deep.equal(first.context.relevant_files);
    expect(svc.stats().cache_hits).to.be.greaterThan(0);
  });

  it('never sends secret files, files outside the root, FIFOs, binaries or ignored paths', async () => {
    const res = await svc.getContext({ issue_id: 'ISSUE-1', agent_type: 'security-auditor', max_files: 200, max_bytes: 4 * 1024 * 1024 });
    const all = [...paths(res), ...res.context.project_structure.files];
    for (const secret of Object.keys(SECRET_FILES)) expect(all, secret).to.not.include(secret);
    for (const p of all) {
      expect(p).to.not.match(/^(link-out|loop|self)(\/|$)/);
      expect(p).to.not.match(/node_modules|coverage\//);
    }
    expect(all).to.not.include('src/pipe.ts');
    expect(paths(res)).to.not.include.members(['assets/logo.png', 'src/data.bin.ts']);
    expect(res.context.project_structure.files).to.include('assets/logo.png');
    expect(paths(res)).to.include('sub/.npmrc');
    const body = JSON.stringify(res);
    expect(body).to.not.include('stolen');
    expect(body).to.not.include(FAKE_GH);
  });

  it('redacts secret-looking values in included files', async () => {
    const res = await svc.getContext({ issue_id: 'ISSUE-1', agent_type: 'typescript-specialist', q: 'config' });
    const cfg = res.context.relevant_files.find((f) => f.path === 'src/config.ts');
    expect(cfg, 'src/config.ts selected').to.not.equal(undefined);
    expect(cfg!.content).to.not.include(FAKE_GH);
    expect(cfg!.content).to.not.include(FAKE_AWS);
    expect(cfg!.content).to.not.include('hunter2-is-not-safe');
    expect(cfg!.content).to.not.include('secretsecretsecret');
    expect(cfg!.content).to.include('[REDACTED:github-token]');
    expect(cfg!.content).to.include('[REDACTED:private-key]');
  });

  it('cuts a file over max_file_bytes to head and tail with a marker, never drops it', async () => {
    const res = await svc.getContext({ issue_id: 'ISSUE-1', agent_type: 'typescript-specialist', q: 'huge', max_bytes: 2_000_000 });
    expect(res.context.project_structure.files).to.include('src/huge.ts');
    const huge = res.context.relevant_files.find((f) => f.path === 'src/huge.ts')!;
    expect(huge, 'huge.ts is a relevant file').to.not.equal(undefined);
    expect(huge.truncated).to.equal(true);
    expect(huge.size).to.equal(Buffer.byteLength(SOURCE_FILES['src/huge.ts']!));
    expect(huge.content.startsWith('// huge\nexport const filler')).to.equal(true);
    expect(huge.content).to.match(/… \[cco: truncated \d+ bytes of \d+: over max_file_bytes\] …\n/);
    expect(huge.content.endsWith('export const filler = "0123456789";\n')).to.equal(true);
    expect(huge.reason).to.include('cut to head and tail');
    expect(res.truncated).to.equal(true);
  });

  it('reports git facts: branch, head, commits with files, uncommitted changes with +N -M, remote without credentials', async () => {
    const res = await svc.getContext({ issue_id: 'ISSUE-1', agent_type: 'typescript-specialist' });
    const g = res.context.git_context!;
    expect(g.branch).to.equal('main');
    expect(g.head).to.equal(git(root, 'rev-parse', 'HEAD').trim());
    expect(g.recent_commits.map((c) => c.message)).to.deep.equal(['feat: subtraction', 'initial commit']);
    expect(g.recent_commits[0]).to.deep.include({ author: 'Fixture Author', files_changed: ['src/util/math.ts'] });
    expect(g.recent_commits[1]!.files_changed).to.include('src/index.ts');
    const byPath = Object.fromEntries(g.uncommitted_changes.map((c) => [c.path, c]));
    expect(byPath['src/index.ts']).to.deep.equal({ path: 'src/index.ts', status: 'modified', diff: '+2 -1' });
    expect(byPath['src/new-feature.ts']).to.deep.equal({ path: 'src/new-feature.ts', status: 'untracked', diff: '+2 -0' });
    expect(g.remote).to.equal('origin');
    expect(g.remote_url).to.equal('https://github.com/acme/demo.git');
    // Uncommitted and recent files are ranked up.
    expect(paths(res).slice(0, 4)).to.include.members(['src/index.ts', 'src/new-feature.ts']);
    expect(res.context.relevant_files.find((f) => f.path === 'src/new-feature.ts')!.reason).to.include('uncommitted change (untracked)');
  });

  it('reports metadata from the manifests and the coverage report', async () => {
    const res = await svc.getContext({ issue_id: 'ISSUE-1', agent_type: 'typescript-specialist' });
    const m = res.context.metadata;
    expect(m.project_type).to.equal('node');
    expect(m.project_types).to.include.members(['node', 'typescript', 'python']);
    expect(m.node_version).to.equal('>=20');
    expect(m.python_version).to.equal('>=3.11');
    expect(m.dependencies.map((d) => `${d.ecosystem}:${d.name}`)).to.include.members(['npm:koa', 'npm:typescript', 'pypi:requests']);
    expect(m.test_coverage).to.deep.include({ lines_pct: 75.5, format: 'istanbul', source: 'coverage/coverage-summary.json' });
  });

  it('includes previous outputs, ranks their files first, and refreshes them when the issue gets a new result', async () => {
    outputs = [
      {
        agent: 'a1',
        agent_type: 'python-specialist',
        timestamp: '2026-01-01T00:00:00.000Z',
        status: 'success',
        decision: 'use tools/report.py',
        rationale: 'why',
        files_affected: ['tools/report.py'],
        result_id: 'r1',
      },
    ];
    const res = await svc.getContext({ issue_id: 'ISSUE-PREV', agent_type: 'typescript-specialist' });
    expect(res.context.previous_agent_outputs).to.deep.equal(outputs);
    expect(paths(res)[0]).to.equal('tools/report.py');
    expect(res.context.relevant_files[0]!.reason).to.include('named in an earlier result for this issue');
    const calls = previousCalls;
    expect((await svc.getContext({ issue_id: 'ISSUE-PREV', agent_type: 'typescript-specialist' })).cache_hit).to.equal(true);
    outputs = [...outputs, { ...outputs[0]!, result_id: 'r2', files_affected: ['docs/guide.md'] }];
    svc.invalidateIssue('ISSUE-PREV');
    const after = await svc.getContext({ issue_id: 'ISSUE-PREV', agent_type: 'typescript-specialist' });
    expect(after.cache_hit).to.equal(false);
    expect(previousCalls).to.equal(calls + 1);
    expect(after.context.previous_agent_outputs.map((o) => o.result_id)).to.deep.equal(['r1', 'r2']);
    expect(paths(after).slice(0, 2)).to.have.members(['tools/report.py', 'docs/guide.md']);
  });

  it('fits the budget with each strategy and reports truncation', async () => {
    const smart = await svc.getContext({ issue_id: 'ISSUE-B', agent_type: 'typescript-specialist', max_bytes: 2000, max_files: 20 });
    expect(smart.total_size_bytes).to.be.at.most(2000);
    expect(smart.truncation_strategy).to.equal('smart');
    const none = await svc.getContext({ issue_id: 'ISSUE-B', agent_type: 'typescript-specialist', max_bytes: 300, strategy: 'none' });
    expect(none.truncation_strategy).to.equal('none');
    expect(none.context.relevant_files.every((f) => !f.truncated)).to.equal(true);
    expect(none.total_size_bytes).to.be.at.most(300);
    const sampling = await svc.getContext({ issue_id: 'ISSUE-B', agent_type: 'typescript-specialist', max_bytes: 3000, strategy: 'file_sampling' });
    expect(sampling.truncation_strategy).to.equal('file_sampling');
    expect(sampling.total_size_bytes).to.be.at.most(3000);
    const two = await svc.getContext({ issue_id: 'ISSUE-B', agent_type: 'typescript-specialist', max_files: 2 });
    expect(two.file_count).to.equal(2);
  });

  it('rejects budgets over the cap before touching anything (ids are checked at the edge: test/contract)', async () => {
    try {
      await svc.getContext({ issue_id: 'ISSUE-1', agent_type: 'x', max_bytes: 10 * 1024 * 1024 + 1 });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ContextBudgetError);
      expect((err as ContextBudgetError).status).to.equal(413);
      expect((err as ContextBudgetError).code).to.equal('CTX_002');
    }
  });

  it('serves the default profile to unknown agent types', async () => {
    const res = await svc.getContext({ issue_id: 'ISSUE-1', agent_type: 'some-unknown-type' });
    expect(res.agent_type).to.equal('some-unknown-type');
    expect(res.file_count).to.be.greaterThan(0);
  });

  describe('watcher', () => {
    before(() => waitWatching(svc));

    it('an edit is visible in the next answer without clearing the cache', async () => {
      const q = { issue_id: 'ISSUE-W', agent_type: 'typescript-specialist' };
      await svc.getContext(q);
      expect((await svc.getContext(q)).cache_hit).to.equal(true);
      await change(svc, () => fsp.writeFile(path.join(root, 'src/util/math.ts'), 'export const add = (a: number, b: number) => a + b; // edited\n'));
      const res = await svc.getContext(q);
      expect(res.cache_hit).to.equal(false);
      expect(res.context.relevant_files.find((f) => f.path === 'src/util/math.ts')!.content).to.include('// edited');
      expect(res.context.git_context!.uncommitted_changes.find((c) => c.path === 'src/util/math.ts')).to.deep.include({ status: 'modified', diff: '+1 -2' });
    });

    it('an added file shows up in the structure and, when relevant, in the files', async () => {
      const q = { issue_id: 'ISSUE-W', agent_type: 'typescript-specialist' };
      await svc.getContext(q);
      await change(svc, () => writeTree(root, { 'src/added-later.ts': 'export const late = true;\n' }));
      const res = await svc.getContext(q);
      expect(res.cache_hit).to.equal(false);
      expect(res.context.project_structure.files).to.include('src/added-later.ts');
      expect(paths(res)).to.include('src/added-later.ts');
    });

    it('a deleted file disappears', async () => {
      const q = { issue_id: 'ISSUE-W', agent_type: 'typescript-specialist' };
      await svc.getContext(q);
      await change(svc, () => fsp.rm(path.join(root, 'src/added-later.ts')));
      const res = await svc.getContext(q);
      expect(res.context.project_structure.files).to.not.include('src/added-later.ts');
      expect(paths(res)).to.not.include('src/added-later.ts');
    });

    it('a rename moves the file', async () => {
      const q = { issue_id: 'ISSUE-W', agent_type: 'typescript-specialist' };
      await svc.getContext(q);
      await change(svc, () => fsp.rename(path.join(root, 'src/new-feature.ts'), path.join(root, 'src/renamed-feature.ts')));
      const res = await svc.getContext(q);
      expect(res.context.project_structure.files).to.include('src/renamed-feature.ts').and.not.include('src/new-feature.ts');
      expect(paths(res)).to.include('src/renamed-feature.ts');
      expect(res.context.git_context!.uncommitted_changes.map((c) => c.path))
        .to.include('src/renamed-feature.ts')
        .and.not.include('src/new-feature.ts');
    });

    it('a new directory with files (moved in) is indexed and watched', async () => {
      await writeTree(base, { 'staging/pkg/mod.ts': 'export const moved = 1;\n', 'staging/pkg/deep/d.ts': 'export const d = 1;\n' });
      await change(svc, () => fsp.rename(path.join(base, 'staging/pkg'), path.join(root, 'src/pkg')));
      await eventually(async () =>
        (await svc.getContext({ issue_id: 'ISSUE-W', agent_type: 'typescript-specialist', max_files: 100 })).context.project_structure.files.includes(
          'src/pkg/deep/d.ts',
        ),
      );
      await change(svc, () => fsp.writeFile(path.join(root, 'src/pkg/deep/d2.ts'), 'export const d2 = 2;\n'));
      const res = await svc.getContext({ issue_id: 'ISSUE-W', agent_type: 'typescript-specialist', max_files: 100 });
      expect(res.context.project_structure.files).to.include.members(['src/pkg/mod.ts', 'src/pkg/deep/d.ts', 'src/pkg/deep/d2.ts']);
    });

    it('ignored and secret paths never enter the index', async () => {
      const before = svc.watcherReport().indexed_files;
      await writeTree(root, { 'node_modules/dep/new.js': 'x\n', '.env.test': 'SECRET=1\n', 'coverage/lcov.info': 'LF:1\nLH:1\n' });
      await new Promise((r) => setTimeout(r, 200));
      await svc.settle();
      expect(svc.watcherReport().indexed_files).to.equal(before);
    });

    it('keeps answers an edit cannot affect', async () => {
      const q = { issue_id: 'ISSUE-P', agent_type: 'documentation-writer', max_files: 1 };
      const first = await svc.getContext(q);
      expect(paths(first)).to.deep.equal(['README.md']);
      await change(svc, () => fsp.appendFile(path.join(root, 'src/util/math.test.ts'), '// tweak\n'));
      expect((await svc.getContext(q)).cache_hit).to.equal(true);
      await change(svc, () => fsp.appendFile(path.join(root, 'README.md'), 'More.\n'));
      expect((await svc.getContext(q)).cache_hit).to.equal(false);
    });

    it('publishes a debounced files_changed event', async () => {
      events.length = 0;
      await change(svc, async () => {
        await fsp.writeFile(path.join(root, 'docs/guide.md'), '# Guide v2\n');
        await fsp.writeFile(path.join(root, 'docs/extra.md'), '# Extra\n');
      });
      await eventually(() => events.some((e) => (e.data.paths as string[]).includes('docs/extra.md')));
      const e = events.find((ev) => (ev.data.paths as string[]).includes('docs/extra.md'))!;
      expect(e.event_type).to.equal('files_changed');
      expect(e.data.project_id).to.equal('demo');
      expect(e.data.changes).to.deep.include({ path: 'docs/extra.md', kind: 'add' });
    });

    it('a commit starts a new git epoch: every answer is rebuilt with fresh git facts', async () => {
      const q = { issue_id: 'ISSUE-G', agent_type: 'typescript-specialist' };
      await svc.getContext(q);
      gitCommitAll(root, 'chore: commit everything');
      const res = await svc.getContext(q);
      expect(res.cache_hit).to.equal(false);
      expect(res.context.git_context!.recent_commits[0]!.message).to.equal('chore: commit everything');
      expect(res.context.git_context!.uncommitted_changes).to.deep.equal([]);
    });
  });

  it('single-flight: 50 identical concurrent misses run one build', async () => {
    const builds = svc.stats().cache_builds;
    const all = await Promise.all(Array.from({ length: 50 }, () => svc.getContext({ issue_id: 'ISSUE-SF', agent_type: 'go-developer' })));
    expect(svc.stats().cache_builds - builds).to.equal(1);
    expect(new Set(all.map((r) => JSON.stringify(r.context.relevant_files))).size).to.equal(1);
  });

  it('clears one issue (counts and bytes) and everything', async () => {
    await svc.getContext({ issue_id: 'ISSUE-C', agent_type: 'typescript-specialist' });
    await svc.getContext({ issue_id: 'ISSUE-C', agent_type: 'test-engineer' });
    const cleared = svc.clearIssue('ISSUE-C');
    expect(cleared.entries_removed).to.equal(2);
    expect(cleared.bytes_freed).to.be.greaterThan(0);
    expect(svc.clearIssue('ISSUE-C')).to.deep.equal({ entries_removed: 0, bytes_freed: 0 });
    const all = svc.clearAll();
    expect(all.entries_removed).to.be.greaterThan(0);
    expect(svc.stats().context_cache_entries).to.equal(0);
    expect(svc.stats().context_cache_bytes).to.equal(0);
  });
});

describe('context service without a working watcher (integration)', function () {
  this.timeout(60_000);
  let base: string;
  before(async () => {
    base = await tempDir();
  });
  after(() => cleanup(base));

  it('outside a git work tree: git_context is null and the walker indexes the tree', async () => {
    const root = path.join(base, 'plain');
    await writeTree(root, { 'main.go': 'package main\n', 'go.mod': 'module x\n\ngo 1.22\n', '.gitignore': 'out.log\n', 'out.log': 'ignored\n' });
    const svc = createContextService({ config: configFor({ project_root: root, storage_path: path.join(base, 's1') }), watch: false });
    try {
      const res = await svc.getContext({ issue_id: 'I', agent_type: 'go-developer' });
      expect(res.context.git_context).to.equal(null);
      expect(res.context.project_structure.files.sort()).to.deep.equal(['.gitignore', 'go.mod', 'main.go']);
      expect(res.context.metadata).to.deep.include({ project_type: 'go', go_version: '1.22' });
      expect(svc.watcherStatus()).to.equal('disabled');
    } finally {
      await svc.close();
    }
  });

  it('degraded watcher (inotify limit): /health says degraded and a short TTL keeps answers fresh', async () => {
    const root = path.join(base, 'degraded');
    await writeTree(root, { 'a.py': 'print(1)\n' });
    const svc = createContextService({
      config: configFor({ project_root: root, storage_path: path.join(base, 's2'), context: { ttl_ms: 150 } }),
      createWatchBackend: (handlers) => ({
        async start() {
          const err = Object.assign(new Error('System limit for number of file watchers reached'), { code: 'ENOSPC' });
          handlers.onError(err);
        },
        addDir() {},
        removeDir() {},
        sync() {},
        async close() {},
        watchCount: 0,
      }),
    });
    try {
      await svc.start();
      expect(svc.watcherStatus()).to.equal('degraded');
      expect(svc.watcherReport().reason).to.match(/inotify/);
      const q = { issue_id: 'I', agent_type: 'python-specialist' };
      expect((await svc.getContext(q)).context.relevant_files[0]!.content).to.equal('print(1)\n');
      await fsp.writeFile(path.join(root, 'a.py'), 'print(2)\n');
      await new Promise((r) => setTimeout(r, 200));
      const res = await svc.getContext(q);
      expect(res.context.relevant_files[0]!.content).to.equal('print(2)\n');
    } finally {
      await svc.close();
    }
  });

  it('keeps the cache within its byte bound', async () => {
    const root = path.join(base, 'bound');
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`src/f${i}.ts`] = `export const v${i} = "${'x'.repeat(20_000)}";\n`;
    await writeTree(root, files);
    const svc = createContextService({ config: configFor({ project_root: root, storage_path: path.join(base, 's3'), cache_size_mb: 1 }), watch: false });
    try {
      for (let i = 0; i < 12; i++) await svc.getContext({ issue_id: `I${i}`, agent_type: 'typescript-specialist' });
      const s = svc.stats();
      expect(s.context_cache_bytes).to.be.at.most(1024 * 1024);
      expect(s.context_cache_entries).to.be.lessThan(12);
      expect(s.context_cache_entries).to.be.greaterThan(0);
    } finally {
      await svc.close();
    }
  });
});
