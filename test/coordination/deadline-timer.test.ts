import { expect } from 'chai';
import { DeadlineTimer } from '../../src/coordination/deadline-timer.js';

describe('DeadlineTimer', () => {
  it('fires due keys in deadline order, honours reschedules and cancels', () => {
    let now = 1_000;
    const fired: string[] = [];
    const t = new DeadlineTimer(
      (k) => fired.push(k),
      () => now,
    );
    t.schedule('c', 1_300);
    t.schedule('a', 1_100);
    t.schedule('b', 1_200);
    t.schedule('a', 1_250); // renewed: the 1_100 entry is stale
    t.schedule('d', 1_150);
    t.cancel('d');
    now = 1_200;
    t.runDue();
    expect(fired).to.deep.equal(['b']);
    now = 2_000;
    t.runDue();
    expect(fired).to.deep.equal(['b', 'a', 'c']);
    expect(t.size).to.equal(0);
    t.close();
  });

  it('arms one real timer for the next deadline', async () => {
    const fired: string[] = [];
    const t = new DeadlineTimer((k) => fired.push(k));
    t.schedule('late', Date.now() + 5_000);
    t.schedule('soon', Date.now() + 30);
    await new Promise((r) => setTimeout(r, 120));
    expect(fired).to.deep.equal(['soon']);
    t.close();
  });
});
