import { expect } from 'chai';
import fc from 'fast-check';
import { selectCandidates, selectListed, type RankInputs } from '../../src/context/worker/build/select-ranked.js';

/** Brute force: score everything, sort by (score desc, path asc). */
function bruteForce(ids: number[], score: (i: number) => number, pathOf: (i: number) => string, accept: (s: number) => boolean, k: number): number[] {
  return ids
    .filter((i) => accept(score(i)))
    .sort((a, b) => score(b) - score(a) || (pathOf(a) < pathOf(b) ? -1 : pathOf(a) > pathOf(b) ? 1 : 0))
    .slice(0, k);
}

describe('context/select-ranked', () => {
  it('equals a full sort for candidates and the structure list (property)', () => {
    const item = fc.record({
      st: fc.oneof(
        fc.constant(-Infinity),
        fc.integer({ min: -2, max: 8 }).map((n) => n / 2),
      ),
      flag: fc.integer({ min: 0, max: 10 }).map((n) => (n === 0 ? 3 : 0)),
      rec: fc.integer({ min: 0, max: 4 }).map((n) => n / 4),
      deleted: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      listBoost: fc.integer({ min: 0, max: 12 }).map((n) => (n === 0 ? 5 : 0)),
    });
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 40 }),
        (items, extraCount, k, cap) => {
          const baseCount = Math.max(0, items.length - extraCount);
          // Base paths sorted; extras get paths interleaved among them.
          const pathOf = (i: number): string => (i < baseCount ? `p${String(i).padStart(3, '0')}` : `p${String(i - baseCount).padStart(3, '0')}x`);
          const isDeleted = (i: number): boolean => i < baseCount && items[i]!.deleted;
          const staticOf = (i: number): number => items[i]!.st;
          const total = (i: number): number => (items[i]!.st === -Infinity ? -Infinity : items[i]!.st + items[i]!.flag + items[i]!.rec);
          const listKey = (i: number): number => (items[i]!.st === -Infinity ? -1e9 : items[i]!.st) + items[i]!.listBoost;
          const base = [...Array(baseCount).keys()];
          const order = Uint32Array.from(
            base.sort((a, b) => {
              const sa = staticOf(a);
              const sb = staticOf(b);
              if (sa === sb) return a - b;
              if (sa === -Infinity) return 1;
              if (sb === -Infinity) return -1;
              return sb - sa;
            }),
          );
          const all = [...Array(items.length).keys()].filter((i) => !isDeleted(i));
          const inputs: RankInputs = {
            baseCount,
            order,
            staticOf,
            isDeleted,
            extras: all.filter((i) => i >= baseCount),
            flagged: all.filter((i) => items[i]!.flag > 0 || items[i]!.listBoost > 0),
            total,
            listKey,
            maxUnflaggedDynamic: 1,
            later: (a, b) => pathOf(a) > pathOf(b),
            liveCount: all.length,
          };
          expect(selectCandidates(inputs, k)).to.deep.equal(bruteForce(all, total, pathOf, (s) => s > 0, k));
          const listed = selectListed(inputs, cap);
          expect(listed.listed).to.deep.equal(bruteForce(all, listKey, pathOf, () => true, cap));
          expect(listed.truncated).to.equal(all.length > cap);
        },
      ),
      { numRuns: 300 },
    );
  });
});
