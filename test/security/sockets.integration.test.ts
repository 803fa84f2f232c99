import { expect } from 'chai';
import { startTestServer } from '../helpers/test-server.js';
import { testRoutes } from '../helpers/test-routes.js';

/** HAZARDS.md "Bodies, sockets and long-polls": listening host and shutdown with pending requests. */
describe('security: sockets', () => {
  it('listens only on the configured loopback host, never on every interface', async () => {
    const s = await startTestServer();
    try {
      expect(s.handle.host).to.equal('127.0.0.1');
      expect(new URL(s.url).hostname).to.equal('127.0.0.1');
      const state = JSON.parse(await (await import('node:fs/promises')).readFile(`${s.storage}/sidecar.json`, 'utf8')) as { host: string };
      expect(state.host).to.equal('127.0.0.1');
    } finally {
      await s.stop();
    }
  });

  it('closes within the shutdown deadline even with a request pending for a minute', async function () {
    this.timeout(20_000);
    const s = await startTestServer({ extraRoutes: [testRoutes()] });
    const pending = s.request('GET', '/api/test/slow?ms=60000', { token: s.adminToken }).then(
      (r) => `answered ${r.status}`,
      (e: NodeJS.ErrnoException) => `socket ${e.code ?? e.message}`,
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await s.stop();
    expect(Date.now() - started).to.be.below(5_500); // the 4 s deadline, not the minute (nor 13.8 s)
    expect(await pending).to.match(/^(answered|socket)/);
  });
});
