import { expect } from 'chai';
import { compileGlob, globToRegExp } from '../../src/context/files/glob-pattern.js';
import { CONDITIONAL_SECRET_CONTENT_RE, CONDITIONAL_SECRET_RE, PathRules } from '../../src/context/files/path-rules.js';

const rules = new PathRules({ defaultExcludes: true, exclude: ['fixtures/big/', '*.snap'], secretFiles: ['private/**'], storageRel: '.sidecar-data' });

describe('context/path-rules', () => {
  it('excludes VCS dirs, dependencies and build outputs at any depth', () => {
    for (const d of [
      '.git',
      'node_modules',
      'packages/a/node_modules',
      'dist',
      'build',
      'target',
      '.next',
      '__pycache__',
      'coverage',
      '.venv',
      'pkg.egg-info',
      '.cco',
    ]) {
      expect(rules.isExcludedDir(d), d).to.equal(true);
    }
    for (const f of ['node_modules/x/index.js', 'a/dist/b.js', '.git/config', 'x.pyc', 'src/.DS_Store', 'app.log']) {
      expect(rules.isExcludedFile(f), f).to.equal(true);
    }
    for (const ok of ['src', 'lib/distance', 'builder', 'docs']) expect(rules.isExcludedDir(ok), ok).to.equal(false);
    expect(rules.isExcludedFile('src/index.ts')).to.equal(false);
  });

  it('always excludes .git even without default excludes', () => {
    const bare = new PathRules({ defaultExcludes: false, exclude: [], secretFiles: [], storageRel: null });
    expect(bare.isExcludedDir('.git')).to.equal(true);
    expect(bare.isExcludedDir('node_modules')).to.equal(false);
  });

  it('excludes the storage dir when it lies inside the root', () => {
    expect(rules.isExcludedDir('.sidecar-data')).to.equal(true);
    expect(rules.isExcludedFile('.sidecar-data/results/p/i/t.json')).to.equal(true);
    expect(rules.isExcludedFile('.sidecar-data-other/x')).to.equal(false);
  });

  it('applies configured exclude patterns', () => {
    expect(rules.isExcludedDir('fixtures/big')).to.equal(true);
    expect(rules.isExcludedFile('fixtures/big/a.json')).to.equal(true);
    expect(rules.isExcludedFile('src/__snapshots__/a.snap')).to.equal(true);
    expect(rules.isExcludedFile('fixtures/small/a.json')).to.equal(false);
  });

  const secrets = [
    '.env',
    '.env.local',
    '.env.production',
    'config/.env.example',
    'prod.env',
    '.envrc',
    'server.pem',
    'tls/server.key',
    'cert.p12',
    'keystore.jks',
    'store.pfx',
    'AuthKey_ABC.p8',
    'id_rsa',
    'id_rsa.pub',
    '.ssh/id_ed25519',
    'home/.ssh/config',
    'id_ecdsa',
    'credentials',
    'credentials.json',
    'gcp-credentials.json',
    '.aws/credentials',
    '.git-credentials',
    '.netrc',
    '_netrc',
    '.pgpass',
    '.htpasswd',
    'kubeconfig',
    'cluster.kubeconfig',
    '.kube/config',
    'terraform.tfstate',
    'prod.tfvars',
    'secrets.yml',
    'config/secrets.json',
    'client_secret_123.json',
    'service-account.json',
    '.docker/config.json',
    'private/notes.md',
  ];
  for (const s of secrets) {
    it(`treats ${s} as a secret file`, () => {
      expect(rules.isSecretFile(s)).to.equal(true);
      expect(rules.isExcludedFile(s)).to.equal(true);
    });
  }

  it('does not treat source files about secrets as secret files', () => {
    for (const f of ['src/auth/credentials.ts', 'lib/keys.py', 'docs/env.md', 'src/secret-manager.go', 'environment.ts', 'keyboard.js', 'monkey.ts']) {
      expect(rules.isSecretFile(f), f).to.equal(false);
    }
  });

  it('flags .npmrc/.pypirc only when they carry tokens', () => {
    expect(CONDITIONAL_SECRET_RE.test('.npmrc')).to.equal(true);
    expect(CONDITIONAL_SECRET_RE.test('sub/.pypirc')).to.equal(true);
    expect(CONDITIONAL_SECRET_CONTENT_RE.test('//registry.npmjs.org/:_authToken=npm_abc')).to.equal(true);
    expect(CONDITIONAL_SECRET_CONTENT_RE.test('[pypi]\nusername = __token__\npassword = pypi-abc')).to.equal(true);
    expect(CONDITIONAL_SECRET_CONTENT_RE.test('registry=https://registry.npmjs.org/\nsave-exact=true')).to.equal(false);
  });
});

describe('context/glob-pattern', () => {
  const cases: Array<[string, string, boolean]> = [
    ['docs/', 'docs/a.md', true],
    ['docs/', 'src/docs/a.md', true],
    ['docs/', 'docs', false],
    ['/docs/', 'src/docs/a.md', false],
    ['*.md', 'a/b/README.md', true],
    ['README*', 'README.md', true],
    ['README*', 'pkg/README', true],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/x/a.ts', false],
    ['src/**/*.ts', 'src/x/y/a.ts', true],
    ['src/**/*.ts', 'src/a.ts', true],
    ['**/auth/', 'a/b/auth/x.ts', true],
    ['build', 'x/build/y', true],
    ['file?.js', 'file1.js', true],
    ['file[0-9].js', 'file7.js', true],
    ['file[!0-9].js', 'filea.js', true],
    ['file[!0-9].js', 'file7.js', false],
    ['a.b', 'aXb', false],
  ];
  for (const [pattern, p, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${p}`, () => {
      expect(compileGlob(pattern)(p)).to.equal(expected);
    });
  }
  it('rejects negated patterns', () => {
    expect(() => globToRegExp('!keep')).to.throw(/not supported/);
  });
});
