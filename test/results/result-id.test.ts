import { expect } from 'chai';
import { RESULT_ID_PATTERN, ResultIdGenerator, resultIdFloor, resultIdTime } from '../../src/results/result-id.js';

describe('result ids', () => {
  it('sort in generation order within a millisecond and when the clock steps back', () => {
    const gen = new ResultIdGenerator();
    const t = Date.UTC(2026, 10, 23);
    const ids = [gen.generate(t), gen.generate(t), gen.generate(t - 5_000), gen.generate(t + 1)];
    expect(ids).to.deep.equal([...ids].sort());
    expect(new Set(ids).size).to.equal(4);
    for (const id of ids) expect(id).to.match(RESULT_ID_PATTERN);
    expect(resultIdTime(ids[0] as string)).to.equal(t);
    expect(resultIdFloor(t) <= (ids[0] as string)).to.equal(true);
    expect(resultIdFloor(t + 2) > (ids[3] as string)).to.equal(true);
  });

  it('stays above a seeded id from a previous run', () => {
    const first = new ResultIdGenerator().generate(Date.UTC(2030, 0, 1));
    const gen = new ResultIdGenerator();
    gen.seed(first);
    expect(gen.generate(Date.UTC(2026, 0, 1)) > first).to.equal(true);
  });
});
