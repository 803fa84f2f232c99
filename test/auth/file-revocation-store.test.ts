import { FileRevocationStore, type RevocationStore } from '../../src/auth/revocations.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { revocationStoreContract } from '../contract/revocation-store.contract.js';

const dirs: string[] = [];
const dirOf = new Map<RevocationStore, string>();

async function openAt(dir: string): Promise<RevocationStore> {
  const store = await FileRevocationStore.open(dir);
  dirOf.set(store, dir);
  return store;
}

revocationStoreContract('revoked.json file', {
  async open() {
    const dir = await makeTempDir('cco-revocations-');
    dirs.push(dir);
    return openAt(dir);
  },
  reopen: (store) => openAt(dirOf.get(store)!),
  async cleanup() {
    for (const dir of dirs.splice(0)) await removeDir(dir);
  },
});
