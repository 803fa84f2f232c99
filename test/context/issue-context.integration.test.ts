import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { configFor } from '../../src/config/load-config.js';
import { createContextService, type ContextService } from '../../src/context/service/context-service.js';
import type { IssueRecord } from '../../src/issues/issue-record.js';
import { cleanup, eventually, tempDir, writeTree } from './helpers.js';

const FAKE_GH = 'ghp_' + 'Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8';

function issue(id: string, title: string, description = '', extra: Partial<IssueRecord> = {}, revision = 1): IssueRecord {
  return {
    issue_id: id,
    project_id: 'proj',
    title,
    description,
    labels: [],
    files: [],
    acceptance: null,
    created_at: '2026-12-01T00:00:00.000Z',
    updated_at: '2026-12-01T00:00:00.000Z',
    revision,
    ...extra,
  };
}

/** Many unrelated modules, so that a file comes first only by the issue. */
function filler(n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`pkg/mod_${i}.py`] = `def helper_${i}(x):\n    return x + ${i}\n\n\nclass Widget${i}:\n    pass\n`;
  return out;
}

describe('issue-aware context (code search index, ranking, code map)', function () {
  this.timeout(60_000);
  let base: string;
  let root: string;
  let svc: ContextService;
  const issues = new Map<string, IssueRecord>();

  before(async () => {
    base = await tempDir();
    root = path.join(base, 'proj');
    await writeTree(root, {
      ...filler(60),
      'pkg/series.py':
        'import math\n\n\ndef laurent_series(expr, x0):\n    """Expand expr around x0."""\n    return expr\n\n\nclass SeriesExpansion:\n    def order(self):\n        return 1\n',
      'pkg/uses_series.py': 'from pkg.series import laurent_series\n\n\ndef expand_all(items):\n    return [laurent_series(i, 0) for i in items]\n',
      'pkg/settings.py': `def connect(token="${FAKE_GH}"):\n    return token\n`,
      'web/router.ts':
        'export class RadixRouter {\n  addRoute(path: string): void {}\n}\nexport function matchPath(p: string): boolean {\n  return p.length > 0;\n}\n',
      'pyproject.toml': '[project]\nname = "proj"\n',
    });
    svc = createContextService({
      config: configFor({ project_root: root, storage_path: path.join(base, 'storage'), project_id: 'proj', context: { debounce_ms: 20 } }),
      issues: async (projectId, issueId) => {
        expect(projectId).to.equal('proj');
        return issues.get(issueId) ?? null;
      },
    });
    await svc.start();
    const status = await svc.searchIndexBuilt();
    expect(status!.state).to.equal('ready');
  });
  after(async () => {
    await svc?.close();
    await cleanup(base);
  });

  it('answers context.issue and brings in the file defining a function the issue names, then its users', async () => {
    issues.set('ISS-1', issue('ISS-1', 'Crash in laurent_series() for poles', 'Calling it with a pole at x0 raises.'));
    const res = await svc.getContext({ issue_id: 'ISS-1', agent_type: 'python-specialist', max_files: 5 });
    expect(res.context.issue!.issue_id).to.equal('ISS-1');
    expect(res.context.search_index).to.deep.include({ state: 'ready' });
    const paths = res.context.relevant_files.map((f) => f.path);
    expect(paths[0]).to.equal('pkg/series.py');
    expect(paths).to.include('pkg/uses_series.py');
    expect(paths.indexOf('pkg/uses_series.py')).to.be.greaterThan(0);
    expect(res.context.relevant_files[0]!.reason).to.include('defines laurent_series() named in the issue');
    expect(res.context.relevant_files.find((f) => f.path === 'pkg/uses_series.py')!.reason).to.include('uses laurent_series() named in the issue');
  });

  it('ranks without an issue exactly as before (no issue signals, issue null)', async () => {
    const res = await svc.getContext({ issue_id: 'NO-SUCH', agent_type: 'python-specialist', max_files: 5 });
    expect(res.context.issue).to.equal(null);
    expect(res.context.relevant_files.every((f) => !f.reason.includes('issue'))).to.equal(true);
  });

  it('matches files and identifiers named in the issue, and refreshes when the issue revision changes', async () => {
    issues.set('ISS-2', issue('ISS-2', 'Routing is slow', 'Profile the router.', { files: ['web/*.ts'] }));
    const first = await svc.getContext({ issue_id: 'ISS-2', agent_type: 'typescript-specialist', max_files: 3 });
    expect(first.context.relevant_files[0]!.path).to.equal('web/router.ts');
    expect(first.context.relevant_files[0]!.reason).to.include('named in the issue');
    expect((await svc.getContext({ issue_id: 'ISS-2', agent_type: 'typescript-specialist', max_files: 3 })).cache_hit).to.equal(true);
    issues.set('ISS-2', issue('ISS-2', 'Widget7 breaks', 'See `Widget7` in mod_7.', {}, 2));
    const second = await svc.getContext({ issue_id: 'ISS-2', agent_type: 'python-specialist', max_files: 3 });
    expect(second.cache_hit).to.equal(false);
    expect(second.context.issue!.revision).to.equal(2);
    expect(second.context.relevant_files[0]!.path).to.equal('pkg/mod_7.py');
  });

  it('keeps the index current: edit, create, delete and rename of a file', async () => {
    let reasons: string[] = [];
    const ask = async (id: string, title: string): Promise<string[]> => {
      issues.set(id, issue(id, title, '', {}, Date.now()));
      const res = await svc.getContext({ issue_id: id, agent_type: 'python-specialist', max_files: 3 });
      reasons = res.context.relevant_files.map((f) => f.reason);
      return res.context.relevant_files.map((f) => f.path);
    };
    await writeTree(root, { 'pkg/fresh.py': 'def quokka_handler():\n    return 1\n' });
    await eventually(async () => (await ask('ISS-3', 'quokka_handler() fails'))[0] === 'pkg/fresh.py', 10_000, 100);
    await writeTree(root, { 'pkg/fresh.py': 'def wombat_handler():\n    return 2\n' });
    await eventually(async () => (await ask('ISS-3', 'wombat_handler() fails'))[0] === 'pkg/fresh.py', 10_000, 100);
    // The old definition is gone from the index (only the shared word 'handler' still matches).
    await ask('ISS-3', 'quokka_handler() fails');
    expect(reasons.join('\n')).to.not.include('quokka_handler');
    await fsp.rename(path.join(root, 'pkg/fresh.py'), path.join(root, 'pkg/renamed.py'));
    await eventually(async () => (await ask('ISS-3', 'wombat_handler() fails'))[0] === 'pkg/renamed.py', 10_000, 100);
    await fsp.rm(path.join(root, 'pkg/renamed.py'));
    await eventually(async () => !(await ask('ISS-3', 'wombat_handler() fails')).includes('pkg/renamed.py'), 10_000, 100);
  });

  it('fills the code map with definitions of the next files, within its share of max_bytes', async () => {
    issues.set('ISS-4', issue('ISS-4', 'helper functions return wrong values', 'Widget classes too.'));
    const maxBytes = 2000;
    const res = await svc.getContext({ issue_id: 'ISS-4', agent_type: 'python-specialist', max_bytes: maxBytes, max_files: 10 });
    const map = res.context.code_map;
    expect(map.files.length).to.be.greaterThan(0);
    const mapBytes = JSON.stringify(map).length;
    expect(res.total_size_bytes + mapBytes).to.be.at.most(maxBytes);
    const sym = map.files[0]!.symbols[0]!;
    expect(sym).to.have.all.keys('name', 'kind', 'line', 'signature');
    expect(map.files.map((f) => f.path)).to.not.include.members(res.context.relevant_files.filter((f) => !f.truncated).map((f) => f.path));
    const helper = map.files.flatMap((f) => f.symbols).find((s) => s.kind === 'function')!;
    expect(helper.signature).to.match(/^def helper_\d+\(x\):$/);
    expect(res.token_estimate).to.be.at.least(Math.floor((res.total_size_bytes + mapBytes) / 4));
  });

  it('never puts a secret into the index or the code map (a secret in a definition line is redacted)', async () => {
    issues.set('ISS-5', issue('ISS-5', 'connect() token handling', `Also ${FAKE_GH.slice(0, 12)} ${FAKE_GH}`));
    const res = await svc.getContext({ issue_id: 'ISS-5', agent_type: 'python-specialist', max_bytes: 600, max_files: 1 });
    const all = JSON.stringify({ files: res.context.relevant_files, map: res.context.code_map });
    expect(all).to.not.include(FAKE_GH);
    const sig = res.context.code_map.files.flatMap((f) => f.symbols).find((s) => s.name === 'connect');
    if (sig) expect(sig.signature).to.include('[REDACTED');
    // The secret value is not a term of the index: searching for it finds nothing.
    issues.set('ISS-6', issue('ISS-6', FAKE_GH.toLowerCase()));
    const bySecret = await svc.getContext({ issue_id: 'ISS-6', agent_type: 'python-specialist', max_files: 3 });
    expect(bySecret.context.relevant_files.some((f) => f.reason.includes('issue'))).to.equal(false);
  });
});
