import { expect } from 'chai';
import { ContextCache } from '../../src/context/cache/context-cache.js';

interface V {
  issueId: string;
  bytes: number;
  n: number;
}

describe('context/context-cache', () => {
  it('is bounded by bytes and evicts least recently used first', () => {
    const c = new ContextCache<V>(1000);
    c.set('a', { issueId: 'i1', bytes: 400, n: 1 });
    c.set('b', { issueId: 'i1', bytes: 400, n: 2 });
    c.get('a');
    c.set('c', { issueId: 'i2', bytes: 400, n: 3 });
    expect(c.bytes).to.be.at.most(1000);
    expect(c.get('b')).to.equal(undefined);
    expect(c.get('a')?.n).to.equal(1);
    expect(c.get('c')?.n).to.equal(3);
  });

  it('never stores a value larger than the whole cache', () => {
    const c = new ContextCache<V>(100);
    expect(c.set('big', { issueId: 'i', bytes: 101, n: 0 })).to.equal(false);
    expect(c.size).to.equal(0);
  });

  it('clears one issue precisely, with counts and bytes', () => {
    const c = new ContextCache<V>(10_000);
    c.set('a', { issueId: 'i1', bytes: 10, n: 1 });
    c.set('b', { issueId: 'i1', bytes: 20, n: 2 });
    c.set('c', { issueId: 'i2', bytes: 40, n: 3 });
    c.set('b', { issueId: 'i1', bytes: 30, n: 4 }); // overwrite keeps the issue index right
    expect(c.clearIssue('i1')).to.deep.equal({ entries_removed: 2, bytes_freed: 40 });
    expect(c.clearIssue('i1')).to.deep.equal({ entries_removed: 0, bytes_freed: 0 });
    expect(c.clearAll()).to.deep.equal({ entries_removed: 1, bytes_freed: 40 });
    expect(c.size).to.equal(0);
  });

  it('single-flight: 50 identical concurrent misses run one build', async () => {
    const c = new ContextCache<V>(10_000);
    let builds = 0;
    const build = async (): Promise<V> => {
      builds++;
      await new Promise((r) => setTimeout(r, 30));
      return { issueId: 'i', bytes: 10, n: builds };
    };
    const all = await Promise.all(Array.from({ length: 50 }, () => c.singleFlight('k', 'i', build)));
    expect(builds).to.equal(1);
    expect(all.filter((r) => r.joined)).to.have.length(49);
    expect(new Set(all.map((r) => r.value.n))).to.deep.equal(new Set([1]));
    expect(c.get('k')?.n).to.equal(1);
  });

  it('does not store a build overtaken by an invalidation, and later callers do not join it', async () => {
    const c = new ContextCache<V>(10_000);
    let builds = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = async (): Promise<V> => {
      builds++;
      await gate;
      return { issueId: 'i', bytes: 10, n: builds };
    };
    const first = c.singleFlight('k', 'i', slow);
    c.markInflightStale('i');
    const second = c.singleFlight('k', 'i', async () => ({ issueId: 'i', bytes: 10, n: 99 }));
    release();
    expect((await first).value.n).to.equal(1);
    expect((await second).joined).to.equal(false);
    expect(c.get('k')?.n).to.equal(99);
    expect(builds).to.equal(1);
  });

  it('propagates build failures to every joined caller and forgets the flight', async () => {
    const c = new ContextCache<V>(10_000);
    const failing = async (): Promise<V> => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('boom');
    };
    const results = await Promise.allSettled([c.singleFlight('k', 'i', failing), c.singleFlight('k', 'i', failing)]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    const ok = await c.singleFlight('k', 'i', async () => ({ issueId: 'i', bytes: 1, n: 7 }));
    expect(ok.value.n).to.equal(7);
  });
});
