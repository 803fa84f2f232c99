import { randomUUID } from 'node:crypto';
import type { RevocationStore } from '../../src/auth/revocations.js';
import { RedisRevocationStore } from '../../src/auth/redis-revocation-store.js';
import { connectRedis, destroyQuietly, type RedisClient } from '../../src/redis/redis-connection.js';
import { RedisServer } from '../helpers/redis-server.js';
import { revocationStoreContract } from '../contract/revocation-store.contract.js';

let server: RedisServer | undefined;
const clients: RedisClient[] = [];
const stores: RedisRevocationStore[] = [];
const projectOf = new Map<RevocationStore, string>();

async function openOn(projectId: string): Promise<RevocationStore> {
  server ??= await RedisServer.start();
  const client = await connectRedis({ url: server.url, name: 'test' });
  clients.push(client);
  const store = await RedisRevocationStore.open({ client, url: server.url, projectId });
  stores.push(store);
  projectOf.set(store, projectId);
  return store;
}

revocationStoreContract('redis (sorted set + notification)', {
  open: () => openOn(`p-${randomUUID()}`),
  reopen: (store) => openOn(projectOf.get(store)!),
  async cleanup() {
    for (const s of stores.splice(0)) s.close();
    for (const c of clients.splice(0)) destroyQuietly(c);
    await server?.stop();
    server = undefined;
  },
});
