import { expect } from 'chai';
import { PriorityQueue } from '../../src/agents/priority-queue.js';

describe('agents/priority-queue', () => {
  it('serves high > normal > low, FIFO within a priority', () => {
    const q = new PriorityQueue<string>();
    q.push('l1', 'l1', 'low');
    q.push('n1', 'n1', 'normal');
    q.push('h1', 'h1', 'high');
    q.push('n2', 'n2', 'normal');
    q.push('h2', 'h2', 'high');
    expect(q.positionOf('n2')).to.equal(4);
    expect([q.shift(), q.shift(), q.shift(), q.shift(), q.shift(), q.shift()]).to.deep.equal(['h1', 'h2', 'n1', 'n2', 'l1', undefined]);
  });

  it('removes by key and drains in start order', () => {
    const q = new PriorityQueue<string>();
    q.push('a', 'a', 'low');
    q.push('b', 'b', 'high');
    q.push('c', 'c', 'normal');
    expect(q.remove('c')).to.equal('c');
    expect(q.remove('zz')).to.equal(undefined);
    expect(q.size).to.equal(2);
    expect(q.drain()).to.deep.equal(['b', 'a']);
    expect(q.size).to.equal(0);
  });
});
