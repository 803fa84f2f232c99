import { expect } from 'chai';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/load-config.js';
import { detectProjectRoot, projectIdFromRoot } from '../../src/config/project.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('config: defaults < file < env < flags', () => {
  let dir: string;
  let project: string;
  beforeEach(async () => {
    dir = await makeTempDir();
    project = path.join(dir, 'My Repo!');
    await mkdir(path.join(project, '.cco'), { recursive: true });
    await mkdir(path.join(project, 'src', 'deep'), { recursive: true });
    await writeFile(path.join(project, 'package.json'), '{}');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('uses the spec defaults', () => {
    const c = loadConfig({ env: {}, cwd: project });
    expect(c).to.include({ host: '127.0.0.1', port: 3001, cache_size_mb: 1024, token_ttl_seconds: 3600, max_concurrent_agents: 119 });
    expect(c.events).to.include({ buffer_size: 10_000, retention_seconds: 86_400, max_waits_per_token: 256, max_waits_total: 10_000 });
    expect(c.results.retention_days).to.equal(30);
    expect(Object.isFrozen(c) && Object.isFrozen(c.events)).to.equal(true);
  });

  it('detects the project root from a subdirectory and derives a safe id', () => {
    const c = loadConfig({ env: {}, cwd: path.join(project, 'src', 'deep') });
    expect(c.project_root).to.equal(project);
    expect(c.project_id).to.equal('MyRepo');
    expect(detectProjectRoot(path.join(project, 'src'))).to.equal(project);
    expect(projectIdFromRoot('/x/..weird name')).to.equal('weirdname');
  });

  it('layers file < env < flags', async () => {
    await writeFile(path.join(project, '.cco', 'orchestration.json'), JSON.stringify({ port: 4000, host: '127.0.0.2', cache_size_mb: 10 }));
    const c = loadConfig({ env: { CCO_SIDECAR_PORT: '4001', CCO_SIDECAR_CACHE_SIZE_MB: '20' }, flags: { port: 4002 }, cwd: project });
    expect(c.port).to.equal(4002);
    expect(c.cache_size_mb).to.equal(20);
    expect(c.host).to.equal('127.0.0.2');
  });

  it('rejects unknown keys and bad values in the config file with the field path', async () => {
    await writeFile(path.join(project, '.cco', 'orchestration.json'), JSON.stringify({ prot: 1, events: { buffer_size: 'x' } }));
    expect(() => loadConfig({ env: {}, cwd: project })).to.throw(ConfigError, /events\.buffer_size/);
  });

  it('rejects a non-integer env value and an unreadable explicit config file', () => {
    expect(() => loadConfig({ env: { CCO_SIDECAR_PORT: 'abc' }, cwd: project })).to.throw(ConfigError, /CCO_SIDECAR_PORT/);
    expect(() => loadConfig({ env: {}, cwd: project, configFile: 'missing.json' })).to.throw(ConfigError, /Cannot read config file/);
  });

  it("takes the PostgreSQL URL from env or flag over the file, keeps the file's other postgres keys, and then uses it for results", async () => {
    await writeFile(path.join(project, '.cco', 'orchestration.json'), JSON.stringify({ postgres: { url: 'postgres://file@db/x', pool_size: 3 } }));
    const fromFile = loadConfig({ env: {}, cwd: project });
    expect(fromFile.results.backend).to.equal('postgres');
    const c = loadConfig({ env: { CCO_POSTGRES_URL: 'postgres://u:pw@db:5432/cco' }, cwd: project });
    expect(c.postgres).to.include({ url: 'postgres://u:pw@db:5432/cco', pool_size: 3, connect_timeout_ms: 1_500 });
    expect(c.results.backend).to.equal('postgres');
    const flagged = loadConfig({
      env: { CCO_POSTGRES_URL: 'postgres://u:pw@db:5432/cco' },
      flags: { postgres: { url: 'postgresql://flag@db/y' } },
      cwd: project,
    });
    expect(flagged.postgres.url).to.equal('postgresql://flag@db/y');
    expect(loadConfig({ env: {}, flags: { results: { backend: 'files' }, postgres: { url: 'postgres://db/x' } }, cwd: project }).results.backend).to.equal(
      'files',
    );
    expect(loadConfig({ env: {}, cwd: dir }).results.backend).to.equal('files');
  });

  it('refuses a postgres backend without a URL, and a URL that is not postgres, without echoing it', () => {
    expect(() => loadConfig({ env: {}, flags: { results: { backend: 'postgres' } }, cwd: project })).to.throw(
      ConfigError,
      /postgres\.url: results\.backend is 'postgres' but no PostgreSQL URL is set/,
    );
    let message = '';
    try {
      loadConfig({ env: { CCO_POSTGRES_URL: 'mysql://u:topsecret@db/x' }, cwd: project });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/postgres\.url: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(message).not.to.include('topsecret');
  });
});
