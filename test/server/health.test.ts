import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('GET /health, /status, /metrics', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('answers /health without a token, with measured checks', async () => {
    const res = await s.request('GET', '/health');
    expect(res.body.service).to.equal('orchestration-sidecar');
    expect(res.body.checks).to.have.keys(
      'storage',
      'event_bus',
      'watcher',
      'memory_usage_mb',
      'cpu_usage_percent',
      'active_agents',
      'event_queue_size',
      'disk_space_available_mb',
    );
    expect(res.body.checks.storage).to.equal('ok');
    expect(res.body.checks.memory_usage_mb).to.be.greaterThan(10);
    expect(res.body.checks.disk_space_available_mb).to.be.greaterThan(0);
    expect(res.body.uptime_seconds).to.be.a('number');
    expect(res.body.version).to.match(/^\d+\.\d+\.\d+/);
  });

  it('matches /health case-insensitively and with a trailing slash', async () => {
    const res = await s.request('GET', '/HEALTH/');
    expect(res.body.service).to.equal('orchestration-sidecar');
  });

  it('requires a token for /status, including route variants', async () => {
    for (const p of ['/status', '/STATUS', '/status/', '/status?x=/health']) {
      const res = await s.request('GET', p);
      expect(res.status, p).to.equal(401);
    }
  });

  it('reports the request window in /status', async () => {
    const res = await s.request('GET', '/status', { token: s.adminToken });
    expect(res.status).to.equal(200);
    expect(res.body).to.have.keys('node_id', 'agents', 'storage', 'events', 'performance', 'timestamp');
    expect(res.body.performance.requests_per_second).to.be.greaterThan(0);
    expect(res.body.storage.storage_path).to.equal(s.storage);
  });

  it('exposes the spec metric names in Prometheus text', async () => {
    const res = await s.request('GET', '/metrics', { token: s.adminToken });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/plain/);
    for (const name of [
      'sidecar_requests_total',
      'sidecar_request_duration_seconds',
      'sidecar_active_agents',
      'sidecar_events_published_total',
      'sidecar_cache_hits_total',
      'sidecar_cache_misses_total',
      'sidecar_storage_bytes',
    ]) {
      expect(res.text).to.contain(`# TYPE ${name}`);
    }
    expect(res.text).to.match(/sidecar_requests_total\{method="GET",route="\/health",status="\d{3}"\} \d+/);
  });
});

describe('GET /openapi.json', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('describes every registered route from the validating schemas, behind auth', async () => {
    expect((await s.request('GET', '/openapi.json')).status).to.equal(401);
    const res = await s.request('GET', '/openapi.json', { token: await s.tokenFor() });
    expect(res.status).to.equal(200);
    expect(res.body.openapi).to.equal('3.1.0');
    expect(res.body.paths['/health'].get.security).to.deep.equal([]);
    const revoke = res.body.paths['/api/auth/revoke'].post;
    expect(revoke.requestBody.content['application/json'].schema.required).to.deep.equal(['jti']);
    expect(revoke.responses['403'].content['application/json'].schema.$ref).to.equal('#/components/schemas/Error');
  });
});
