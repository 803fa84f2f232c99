import { expect } from 'chai';
import type { RevocationStore } from '../../src/auth/revocations.js';

/** How the suite gets revocation stores of one implementation. */
export interface RevocationStoreHarness {
  /** A fresh, empty store. */
  open(): Promise<RevocationStore>;
  /** The same stored list opened again (durable stores). */
  reopen?: (store: RevocationStore) => Promise<RevocationStore>;
  cleanup(): Promise<void>;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The behaviour every `RevocationStore` must show (a file, or Redis). */
export function revocationStoreContract(name: string, harness: RevocationStoreHarness): void {
  describe(`RevocationStore contract: ${name}`, () => {
    after(() => harness.cleanup());

    it('knows a revoked token id at once, and no other', async () => {
      const store = await harness.open();
      expect(store.isRevoked('jti-1')).to.equal(false);
      await store.revoke('jti-1', nowSeconds() + 3600);
      expect(store.isRevoked('jti-1')).to.equal(true);
      expect(store.isRevoked('jti-2')).to.equal(false);
      expect(store.size()).to.equal(1);
    });

    it('keeps every one of concurrent revocations', async () => {
      const store = await harness.open();
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.revoke(`c-${i}`, nowSeconds() + 3600)));
      expect(store.size()).to.equal(20);
      for (let i = 0; i < 20; i++) expect(store.isRevoked(`c-${i}`)).to.equal(true);
    });

    it('forgets entries whose token could no longer verify anyway', async () => {
      const store = await harness.open();
      await store.revoke('long-expired', nowSeconds() - 3600);
      await store.revoke('live', nowSeconds() + 3600);
      expect(store.isRevoked('long-expired')).to.equal(false);
      expect(store.isRevoked('live')).to.equal(true);
    });

    it('keeps revocations across a reopen', async function () {
      if (!harness.reopen) this.skip();
      const store = await harness.open();
      await store.revoke('kept', nowSeconds() + 3600);
      const again = await harness.reopen(store);
      expect(again.isRevoked('kept')).to.equal(true);
      expect(again.size()).to.equal(1);
    });
  });
}
