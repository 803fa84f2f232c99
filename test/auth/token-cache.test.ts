import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { TokenService } from '../../src/auth/token-service.js';
import type { RevocationStore } from '../../src/auth/revocations.js';

class MemoryRevocations implements RevocationStore {
  readonly ids = new Set<string>();
  isRevoked(jti: string): boolean {
    return this.ids.has(jti);
  }
  async revoke(jti: string): Promise<void> {
    this.ids.add(jti);
  }
  size(): number {
    return this.ids.size;
  }
}

describe('auth: cache of verified tokens', () => {
  const base = { sub: 'a-1', agent_type: 'python-specialist', project_id: 'p', permissions: ['publish_events'] as const };

  it('answers a repeated token from the cache with the same claims', async () => {
    const tokens = new TokenService(randomBytes(32), new MemoryRevocations(), 3600);
    const { token } = await tokens.mint({ ...base, permissions: [...base.permissions] });
    const first = await tokens.verify(token);
    const second = await tokens.verify(token);
    expect(second).to.equal(first);
    expect(first.sub).to.equal('a-1');
  });

  it('still refuses a cached token once it is revoked', async () => {
    const revocations = new MemoryRevocations();
    const tokens = new TokenService(randomBytes(32), revocations, 3600);
    const minted = await tokens.mint({ ...base, permissions: [...base.permissions] });
    await tokens.verify(minted.token);
    await tokens.revoke(minted.jti, minted.exp);
    const err = await tokens.verify(minted.token).then(
      () => undefined,
      (e: { code?: string }) => e,
    );
    expect(err?.code).to.equal('AUTH_001');
  });

  it('sends a cached token past its expiry through full verification (AUTH_002)', async () => {
    const tokens = new TokenService(randomBytes(32), new MemoryRevocations(), 3600);
    const minted = await tokens.mint({ ...base, permissions: [...base.permissions], ttl_seconds: 60 });
    await tokens.verify(minted.token);
    const RealDate = Date;
    // jose reads the clock through `new Date()`, so shift the whole Date class two minutes ahead.
    class LaterDate extends RealDate {
      constructor(...args: []) {
        if (args.length === 0) super(RealDate.now() + 120_000);
        else super(...(args as unknown as [number]));
      }
      static override now(): number {
        return RealDate.now() + 120_000;
      }
    }
    globalThis.Date = LaterDate as DateConstructor;
    try {
      const err = await tokens.verify(minted.token).then(
        () => undefined,
        (e: { code?: string }) => e,
      );
      expect(err?.code).to.equal('AUTH_002');
    } finally {
      globalThis.Date = RealDate;
    }
  });
});
