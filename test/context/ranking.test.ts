import { expect } from 'chai';
import { resolveProfile } from '../../src/context/ranking/agent-profiles.js';
import { parseContextConfig } from '../../src/context/service/context-config.js';
import { classify, Kind } from '../../src/context/files/file-kinds.js';
import { languageOf } from '../../src/context/files/languages.js';
import { listRankKey, prepareSignals, ProfileScorer, queryTerms } from '../../src/context/ranking/ranking.js';

const cfg = parseContextConfig({});
const NOW = Date.parse('2026-01-10T00:00:00Z');
const OLD = NOW - 365 * 86_400_000;
const noSignals = prepareSignals({ issueFiles: [], uncommitted: [], recentCommitFiles: [], queryTerms: [], now: NOW });

function rank(agentType: string, paths: string[], signals = noSignals): string[] {
  const s = new ProfileScorer(resolveProfile(agentType, cfg));
  const score = (p: string): number => {
    const c = classify(p);
    const st = s.staticScore(p, c.kinds, c.languageId, c.depth);
    return s.total(st, s.dynamicScore(p, p.toLowerCase(), OLD, signals));
  };
  return paths.filter((p) => score(p) > 0).sort((a, b) => score(b) - score(a) || (a < b ? -1 : 1));
}

const TREE = [
  'README.md',
  'docs/guide.md',
  'package.json',
  'pyproject.toml',
  'src/app.py',
  'src/auth/login.py',
  'src/web/index.ts',
  'tests/test_app.py',
  'src/web/index.test.ts',
  '.github/workflows/ci.yml',
  'Dockerfile',
  'deploy/k8s.yaml',
  'package-lock.json',
  'assets/logo.png',
  'dist.min.js',
  'scripts/release.sh',
];

describe('context/file-kinds and languages', () => {
  it('classifies paths', () => {
    expect(classify('src/web/index.test.ts').kinds & Kind.TEST).to.not.equal(0);
    expect(classify('tests/test_app.py').kinds & Kind.TEST).to.not.equal(0);
    expect(classify('pkg/foo_test.go').kinds & Kind.TEST).to.not.equal(0);
    expect(classify('package.json').kinds & Kind.MANIFEST).to.not.equal(0);
    expect(classify('requirements-dev.txt').kinds & Kind.MANIFEST).to.not.equal(0);
    expect(classify('yarn.lock').kinds & Kind.LOCK).to.not.equal(0);
    expect(classify('.github/workflows/ci.yml').kinds & Kind.CI).to.not.equal(0);
    expect(classify('Dockerfile.prod').kinds & Kind.INFRA).to.not.equal(0);
    expect(classify('infra/main.tf').kinds & Kind.INFRA).to.not.equal(0);
    expect(classify('docs/a.md').kinds & Kind.DOCS).to.not.equal(0);
    expect(classify('src/auth/jwt.ts').kinds & Kind.SECURITY).to.not.equal(0);
    expect(classify('assets/logo.png').kinds & Kind.BINARY).to.not.equal(0);
    expect(classify('src/index.ts').kinds & Kind.ENTRY).to.not.equal(0);
    expect(classify('a/b/c/d/e.ts').depth).to.equal(4);
  });

  it('maps languages by extension and file name', () => {
    expect(languageOf('a.tsx')).to.equal('typescript');
    expect(languageOf('Dockerfile')).to.equal('dockerfile');
    expect(languageOf('Dockerfile.dev')).to.equal('dockerfile');
    expect(languageOf('Makefile')).to.equal('makefile');
    expect(languageOf('x/Gemfile')).to.equal('ruby');
    expect(languageOf('noext')).to.equal('other');
  });
});

describe('context/ranking', () => {
  it('a python specialist sees python sources and tests first, never binaries', () => {
    const r = rank('python-specialist', TREE);
    expect(r.slice(0, 4)).to.include.members(['src/app.py', 'src/auth/login.py', 'tests/test_app.py', 'pyproject.toml']);
    expect(r).to.not.include('assets/logo.png');
    expect(r.indexOf('src/app.py')).to.be.lessThan(r.indexOf('src/web/index.ts'));
  });

  it('a devops engineer sees CI and infrastructure first', () => {
    const r = rank('devops-engineer', TREE);
    expect(r.slice(0, 4)).to.include.members(['.github/workflows/ci.yml', 'Dockerfile', 'deploy/k8s.yaml']);
  });

  it('a test engineer sees tests first', () => {
    const r = rank('test-engineer', TREE);
    expect(r.slice(0, 2)).to.have.members(['tests/test_app.py', 'src/web/index.test.ts']);
  });

  it('a documentation writer sees docs first', () => {
    const r = rank('documentation-writer', TREE);
    expect(r.slice(0, 2)).to.have.members(['README.md', 'docs/guide.md']);
  });

  it('a security auditor sees security-sensitive code and manifests first', () => {
    const r = rank('security-auditor', TREE);
    expect(r.indexOf('src/auth/login.py')).to.be.lessThan(r.indexOf('src/app.py'));
    expect(r.indexOf('package.json')).to.be.lessThan(r.indexOf('docs/guide.md'));
  });

  it('issue signals and query hints lift files', () => {
    const sig = prepareSignals({
      issueFiles: ['docs/guide.md'],
      uncommitted: [['scripts/release.sh', 'modified']],
      recentCommitFiles: [],
      queryTerms: queryTerms('Docker deploy'),
      now: NOW,
    });
    const r = rank('python-specialist', TREE, sig);
    expect(r[0]).to.equal('docs/guide.md');
    expect(r.slice(0, 4)).to.include.members(['Dockerfile', 'deploy/k8s.yaml']);
  });

  it('recent files rank above old ones of the same kind', () => {
    const s = new ProfileScorer(resolveProfile('python-specialist', cfg));
    expect(s.dynamicScore('a.py', 'a.py', NOW - 60_000, noSignals)).to.be.greaterThan(s.dynamicScore('b.py', 'b.py', OLD, noSignals));
  });

  it('explains a selection', () => {
    const s = new ProfileScorer(resolveProfile('python-specialist', cfg));
    const sig = prepareSignals({ issueFiles: ['src/app.py'], uncommitted: [], recentCommitFiles: [], queryTerms: [], now: NOW });
    const c = classify('src/app.py');
    expect(s.explain('src/app.py', c.kinds, c.languageId, OLD, sig)).to.equal(
      'named in an earlier result for this issue; python entry point for python-specialist',
    );
  });

  it('profile exclude patterns keep files out', () => {
    const c = parseContextConfig({ profiles: { 'python-specialist': { exclude: ['tests/'] } } });
    const s = new ProfileScorer(resolveProfile('python-specialist', c));
    const k = classify('tests/test_app.py');
    expect(s.staticScore('tests/test_app.py', k.kinds, k.languageId, k.depth)).to.equal(-Infinity);
  });

  it('splits query hints into terms', () => {
    expect(queryTerms('  Auth, LOGIN flow!! a ')).to.deep.equal(['auth', 'login', 'flow']);
    expect(queryTerms(undefined)).to.deep.equal([]);
  });
});

describe("listRankKey (one key for the worker's list and the cache's invalidation)", () => {
  const weights = { ...resolveProfile('python-specialist', { rules: [], profiles: {} }).weights, issue_files: 50, query: 10 };
  it('adds issue files and up to three query hits to the static score', () => {
    expect(listRankKey(5, false, 0, weights)).to.equal(5);
    expect(listRankKey(5, true, 0, weights)).to.equal(55);
    expect(listRankKey(5, false, 2, weights)).to.equal(25);
    expect(listRankKey(5, true, 7, weights)).to.equal(85);
  });
  it('ranks an excluded file (static -Infinity) below everything but keeps it ordered', () => {
    expect(listRankKey(-Infinity, false, 0, weights)).to.equal(-1e9);
    expect(listRankKey(-Infinity, true, 0, weights)).to.be.above(-1e9);
  });
});
