import { expect } from 'chai';
import { defaultProfileOf, languagesOfType, resolveProfile } from '../../src/context/ranking/agent-profiles.js';
import { parseContextConfig } from '../../src/context/service/context-config.js';
import { ValidationError } from '../../src/errors/index.js';

const cfg = parseContextConfig({});

describe('context/agent-profiles', () => {
  const cases: Array<[string, string, string[]]> = [
    ['chief-architect', 'architect', []],
    ['solution-architect', 'architect', []],
    ['python-specialist', 'coding', ['python']],
    ['python-expert', 'coding', ['python']],
    ['go-developer', 'coding', ['go']],
    ['golang-specialist', 'coding', ['go']],
    ['rust-expert', 'coding', ['rust']],
    ['typescript-specialist', 'coding', ['typescript', 'javascript']],
    ['javascript-developer', 'coding', ['javascript', 'typescript']],
    ['react-specialist', 'coding', ['typescript', 'javascript', 'css', 'html', 'vue', 'svelte']],
    ['django-backend-engineer', 'coding', ['python']],
    ['csharp-developer', 'coding', ['csharp']],
    ['objective-c-developer', 'coding', ['objective-c', 'c']],
    ['backend-developer', 'coding', []],
    ['test-engineer', 'test', []],
    ['qa-engineer', 'test', []],
    ['python-test-engineer', 'test', ['python']],
    ['e2e-tester', 'test', []],
    ['security-auditor', 'security', []],
    ['penetration-tester', 'security', []],
    ['devops-engineer', 'devops', []],
    ['kubernetes-specialist', 'devops', []],
    ['terraform-expert', 'devops', ['terraform']],
    ['sre-engineer', 'devops', []],
    ['documentation-writer', 'documentation', []],
    ['technical-writer', 'documentation', []],
    ['support-engineer', 'support', []],
    ['customer-success-agent', 'support', []],
    ['data-scientist', 'coding', ['python', 'sql']],
    ['database-specialist', 'coding', ['sql']],
    ['mystery-agent', 'default', []],
    ['x', 'default', []],
  ];
  for (const [type, category, languages] of cases) {
    it(`maps ${type} to ${category}${languages.length ? ` (${languages.join(', ')})` : ''}`, () => {
      const p = resolveProfile(type, cfg);
      expect(p.profile).to.equal(category);
      expect(p.languages).to.deep.equal(languages);
    });
  }

  it('detects languages in any position of the type', () => {
    expect(languagesOfType('senior-rust-backend-dev')).to.deep.equal(['rust']);
    expect(languagesOfType('Kotlin_Android_Expert')).to.deep.equal(['kotlin', 'java']);
    expect(defaultProfileOf('lead-python-dev', ['python'])).to.equal('coding');
    expect(defaultProfileOf('data-scientist', ['python', 'sql'])).to.equal('coding');
  });

  it('gives unknown types the default profile with positive weights', () => {
    const p = resolveProfile('totally-unknown-role', cfg);
    expect(p.profile).to.equal('default');
    expect(p.weights.source).to.be.greaterThan(0);
    expect(p.requirements.git_context).to.equal(true);
  });

  it('applies config rules before the built-in ones', () => {
    const c = parseContextConfig({ rules: [{ pattern: '^reviewer-', category: 'security', languages: ['go'] }] });
    const p = resolveProfile('reviewer-bob', c);
    expect(p.profile).to.equal('security');
    expect(p.languages).to.deep.equal(['go']);
  });

  it('merges overrides: *, then the category, then the exact type', () => {
    const c = parseContextConfig({
      profiles: {
        '*': { include: ['shared/'], weights: { recency: 0 } },
        coding: { include: ['lib/'], max_files: 10 },
        'python-specialist': { include: ['scripts/'], weights: { source: 9 }, requirements: { recent_commits: 3 } },
      },
    });
    const p = resolveProfile('python-specialist', c);
    expect(p.include).to.include.members(['shared/', 'lib/', 'scripts/']);
    expect(p.weights.source).to.equal(9);
    expect(p.weights.recency).to.equal(0);
    expect(p.maxFiles).to.equal(10);
    expect(p.requirements.recent_commits).to.equal(3);
    const other = resolveProfile('go-developer', c);
    expect(other.include).to.include('lib/').and.not.include('scripts/');
  });

  it('lets an exact override change the category', () => {
    const c = parseContextConfig({ profiles: { 'release-bot': { category: 'devops' } } });
    expect(resolveProfile('release-bot', c).profile).to.equal('devops');
  });

  it('keys profiles by everything that affects ranking', () => {
    expect(resolveProfile('python-specialist', cfg).key).to.equal(resolveProfile('python-specialist', cfg).key);
    expect(resolveProfile('python-specialist', cfg).key).to.not.equal(resolveProfile('go-developer', cfg).key);
    // Same rules → same key even for different type names (memo sharing in workers).
    expect(resolveProfile('python-expert', cfg).key).to.equal(resolveProfile('python-specialist', cfg).key);
  });

  it('rejects an invalid context config with field paths', () => {
    try {
      parseContextConfig({ profiles: { x: { weights: { source: 'high' } } }, rules: [{ pattern: '(', category: 'coding' }] });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ValidationError);
      const issues = (err as ValidationError).details.issues as Array<{ path: string }>;
      expect(issues.map((i) => i.path)).to.include.members(['context.profiles.x.weights.source', 'context.rules.0.pattern']);
    }
  });
});

describe('context config in the sidecar config', () => {
  it('is validated when the config loads, with field paths', async () => {
    const { configFor, ConfigError } = await import('../../src/config/load-config.js');
    const base = { project_root: '/tmp', storage_path: '/tmp/cco-ctx-config-test' };
    expect(configFor({ ...base, context: { exclude: ['fixtures/'], watcher: 'chokidar' } }).context).to.deep.include({
      exclude: ['fixtures/'],
      watcher: 'chokidar',
      ttl_ms: 2000,
    });
    expect(configFor(base).context.default_max_bytes).to.equal(512 * 1024);
    expect(() => configFor({ ...base, context: { bogus: 1 } as never })).to.throw(ConfigError, /context: Unrecognized key/);
    expect(() => configFor({ ...base, context: { ttl_ms: -1 } })).to.throw(ConfigError, /context\.ttl_ms/);
  });
});
