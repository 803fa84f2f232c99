import { expect } from 'chai';
import { PathTrie } from '../../src/coordination/path-trie.js';

describe('PathTrie', () => {
  it('finds entries on the path, its ancestors and its descendants, whole components only', () => {
    const t = new PathTrie<string>();
    t.insert('src/app', 'A');
    t.insert('src/apple/x.ts', 'B');
    t.insert('docs', 'C');
    expect(t.overlapping('src/app/main.ts').map((h) => h.entry)).to.deep.equal(['A']);
    expect(t.overlapping('src/app').map((h) => h.entry)).to.deep.equal(['A']);
    expect(t.overlapping('src').map((h) => [h.path, h.entry])).to.deep.equal([
      ['src/app', 'A'],
      ['src/apple/x.ts', 'B'],
    ]);
    expect(t.overlapping('src/ap')).to.deep.equal([]);
    expect(t.overlapping('src/apple').map((h) => h.entry)).to.deep.equal(['B']);
    expect(t.overlapping('docs/a/b.md').map((h) => h.path)).to.deep.equal(['docs']);
    expect(t.overlapping('src', (e) => e !== 'A').map((h) => h.entry)).to.deep.equal(['B']);
    expect(t.overlapping('src', undefined, 1)).to.have.length(1);
  });

  it('removes entries, prunes empty branches and keeps counts right with duplicates', () => {
    const t = new PathTrie<string>();
    t.insert('a/b/c', 'X');
    t.insert('a/b/c', 'X');
    t.insert('a/b/c', 'Y');
    expect(t.size).to.equal(2);
    expect(t.remove('a/b/c', 'X')).to.equal(true);
    expect(t.remove('a/b/c', 'X')).to.equal(false);
    expect(t.overlaps('a')).to.equal(true);
    expect(t.remove('a/b/c', 'Y')).to.equal(true);
    expect(t.overlaps('a')).to.equal(false);
    expect(t.size).to.equal(0);
    expect(t.remove('nope', 'Y')).to.equal(false);
  });

  it('does not scan unrelated entries: a check among 100,000 stays fast', () => {
    const t = new PathTrie<number>();
    for (let i = 0; i < 100_000; i++) t.insert(`d${i % 100}/f${i}.ts`, i);
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) t.overlaps(`d${i % 100}/new${i}.ts`);
    // 10,000 checks; a scan of 100,000 entries each would take seconds.
    expect(performance.now() - started).to.be.below(500);
  });
});
