import { expect } from 'chai';
import {
  parseCargoToml,
  parseCobertura,
  parseComposerJson,
  parseGoMod,
  parseIstanbulSummary,
  parseLcov,
  parsePackageJson,
  parsePep508,
  parsePomXml,
  parsePyproject,
  parseRequirementsTxt,
  parseVersionFile,
} from '../../src/context/metadata/manifest-parsers.js';

describe('context/manifest-parsers', () => {
  it('package.json: all dependency kinds, typescript, engines', () => {
    const info = parsePackageJson(
      JSON.stringify({
        dependencies: { koa: '^3.0.0' },
        devDependencies: { typescript: '^5.9.0' },
        peerDependencies: { react: '>=18' },
        optionalDependencies: { fsevents: '*' },
        engines: { node: '>=20.19' },
      }),
      'package.json',
    );
    expect(info.projectTypes).to.deep.equal(['node', 'typescript']);
    expect(info.versions.node_version).to.equal('>=20.19');
    expect(info.dependencies.map((d) => [d.name, d.version, d.type])).to.deep.equal([
      ['koa', '^3.0.0', 'runtime'],
      ['typescript', '^5.9.0', 'dev'],
      ['react', '>=18', 'peer'],
      ['fsevents', '*', 'optional'],
    ]);
    expect(parsePackageJson('{not json', 'package.json').dependencies).to.deep.equal([]);
  });

  it('pyproject.toml: PEP 621, optional deps, dependency groups and poetry (real TOML)', () => {
    const info = parsePyproject(
      `
[project]
name = "demo"
requires-python = ">=3.11"
dependencies = ["requests>=2.31", "pydantic[email] (>=2,<3) ; python_version >= '3.11'"]
[project.optional-dependencies]
docs = ["mkdocs"]
[dependency-groups]
test = ["pytest>=8"]
[tool.poetry.dependencies]
python = "^3.11"
httpx = { version = "^0.27", extras = ["http2"] }
[tool.poetry.group.dev.dependencies]
ruff = "^0.5"
`,
      'pyproject.toml',
    );
    expect(info.projectTypes).to.deep.equal(['python']);
    expect(info.versions.python_version).to.equal('>=3.11');
    expect(info.dependencies.map((d) => `${d.name} ${d.version} ${d.type}`)).to.deep.equal([
      'requests >=2.31 runtime',
      'pydantic >=2,<3 runtime',
      'mkdocs * optional',
      'pytest >=8 dev',
      'httpx ^0.27 runtime',
      'ruff ^0.5 dev',
    ]);
    expect(parsePyproject('not = [toml', 'pyproject.toml').dependencies).to.deep.equal([]);
  });

  it('requirements.txt: specs, extras, markers, comments and options', () => {
    const info = parseRequirementsTxt(
      '# comment\nflask==3.0.0\nuvicorn[standard]>=0.30 ; sys_platform != "win32"\n-r base.txt\n-e .\nnumpy  # pinned elsewhere\nhttps://x/y.whl\n',
      'requirements.txt',
    );
    expect(info.dependencies.map((d) => `${d.name} ${d.version}`)).to.deep.equal(['flask ==3.0.0', 'uvicorn >=0.30', 'numpy *']);
    expect(parseRequirementsTxt('pytest\n', 'requirements-dev.txt').dependencies[0]!.type).to.equal('dev');
    expect(parsePep508('Django @ https://x/y.zip')).to.deep.equal({ name: 'Django', version: 'https://x/y.zip' });
  });

  it('Cargo.toml: dependency tables and rust-version', () => {
    const info = parseCargoToml(
      `
[package]
name = "x"
rust-version = "1.75"
[dependencies]
serde = { version = "1", features = ["derive"] }
tokio = "1.38"
local = { path = "../local" }
[dev-dependencies]
proptest = "1"
[build-dependencies]
cc = "1.0"
`,
      'Cargo.toml',
    );
    expect(info.versions.rust_version).to.equal('1.75');
    expect(info.dependencies.map((d) => `${d.name} ${d.version} ${d.type}`)).to.deep.equal([
      'serde 1 runtime',
      'tokio 1.38 runtime',
      'local path runtime',
      'proptest 1 dev',
      'cc 1.0 build',
    ]);
  });

  it('go.mod: go version, single and block requires, indirect', () => {
    const info = parseGoMod(
      'module example.com/x\n\ngo 1.22\n\nrequire github.com/a/b v1.2.3\nrequire (\n\tgithub.com/c/d v0.1.0\n\tgolang.org/x/e v0.2.0 // indirect\n)\n',
      'go.mod',
    );
    expect(info.versions.go_version).to.equal('1.22');
    expect(info.dependencies.map((d) => `${d.name} ${d.version} ${d.type}`)).to.deep.equal([
      'github.com/a/b v1.2.3 runtime',
      'github.com/c/d v0.1.0 runtime',
      'golang.org/x/e v0.2.0 optional',
    ]);
  });

  it('pom.xml and composer.json', () => {
    const pom = parsePomXml(
      '<project><properties><maven.compiler.release>21</maven.compiler.release></properties><dependencies><dependency><groupId>org.junit</groupId><artifactId>junit</artifactId><version>5.10</version><scope>test</scope></dependency></dependencies></project>',
      'pom.xml',
    );
    expect(pom.versions.java_version).to.equal('21');
    expect(pom.dependencies).to.deep.equal([{ name: 'org.junit:junit', version: '5.10', type: 'dev', ecosystem: 'maven', manifest: 'pom.xml' }]);
    const composer = parseComposerJson(
      JSON.stringify({ require: { php: '^8.2', 'laravel/framework': '^11' }, 'require-dev': { phpunit: '^10' } }),
      'composer.json',
    );
    expect(composer.versions.php_version).to.equal('^8.2');
    expect(composer.dependencies.map((d) => d.name)).to.deep.equal(['laravel/framework', 'phpunit']);
  });

  it('version files', () => {
    expect(parseVersionFile('.nvmrc', 'v20.19.0\n')).to.deep.equal({ node_version: 'v20.19.0' });
    expect(parseVersionFile('.python-version', '3.12.4\n')).to.deep.equal({ python_version: '3.12.4' });
    expect(parseVersionFile('runtime.txt', 'python-3.11.9')).to.deep.equal({ python_version: '3.11.9' });
    expect(parseVersionFile('rust-toolchain.toml', '[toolchain]\nchannel = "1.80"\n')).to.deep.equal({ rust_version: '1.80' });
    expect(parseVersionFile('.tool-versions', 'nodejs 20.11.0\npython 3.12.1\n')).to.deep.equal({ node_version: '20.11.0', python_version: '3.12.1' });
  });

  it('coverage: istanbul summary, lcov and cobertura', () => {
    const ist = parseIstanbulSummary(
      JSON.stringify({ total: { lines: { pct: 81.25 }, statements: { pct: 80 }, functions: { pct: 70.5 }, branches: { pct: 60 } } }),
      'coverage/coverage-summary.json',
    );
    expect(ist).to.deep.equal({
      lines_pct: 81.25,
      statements_pct: 80,
      functions_pct: 70.5,
      branches_pct: 60,
      source: 'coverage/coverage-summary.json',
      format: 'istanbul',
    });
    const lcov = parseLcov('TN:\nSF:a.ts\nFNF:4\nFNH:3\nLF:10\nLH:8\nBRF:2\nBRH:1\nend_of_record\nSF:b.ts\nLF:10\nLH:2\nend_of_record\n', 'coverage/lcov.info');
    expect(lcov).to.deep.equal({ lines_pct: 50, statements_pct: null, functions_pct: 75, branches_pct: 50, source: 'coverage/lcov.info', format: 'lcov' });
    const cob = parseCobertura('<?xml version="1.0"?><coverage line-rate="0.8765" branch-rate="0.5" version="1"><packages/></coverage>', 'coverage.xml');
    expect(cob).to.deep.equal({ lines_pct: 87.65, statements_pct: null, functions_pct: null, branches_pct: 50, source: 'coverage.xml', format: 'cobertura' });
    expect(parseLcov('nothing here', 'x')).to.equal(null);
  });
});
