import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { createClient } from 'redis';
import { RedisServer } from '../helpers/redis-server.js';

describe('test helper: throwaway redis-server', () => {
  it('serves on a loopback port, survives a restart on the same port, leaves no files behind', async () => {
    const server = await RedisServer.start();
    const client = createClient({ url: server.url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      expect(await client.ping()).to.equal('PONG');
      expect((await client.configGet('appendonly')).appendonly).to.equal('no');
      await client.set('k', 'v');
      await server.restart();
      expect(server.running).to.equal(true);
      const again = createClient({ url: server.url });
      await again.connect();
      // No persistence: a restart starts empty.
      expect(await again.get('k')).to.equal(null);
      await again.quit();
      expect(readdirSync(server.dir)).to.deep.equal([]);
    } finally {
      client.destroy();
      await server.stop();
    }
    expect(existsSync(server.dir)).to.equal(false);
  });

  it('keeps data across a restart when asked for an append-only file', async () => {
    const server = await RedisServer.start({ appendonly: true });
    try {
      const client = createClient({ url: server.url });
      await client.connect();
      await client.set('k', 'v');
      await client.quit();
      await server.restart();
      const again = createClient({ url: server.url });
      await again.connect();
      expect(await again.get('k')).to.equal('v');
      await again.quit();
    } finally {
      await server.stop();
    }
  });
});
