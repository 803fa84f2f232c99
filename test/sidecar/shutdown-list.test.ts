import { expect } from 'chai';
import { SHUTDOWN_ORDER, ShutdownList } from '../../src/sidecar/shutdown-list.js';

describe('shutdown list', () => {
  it('closes HTTP, agents, coordination, context, bus, results, audit, shared state in that order, whatever the registration order', async () => {
    const ran: string[] = [];
    const list = new ShutdownList();
    for (const stage of [...SHUTDOWN_ORDER].reverse())
      list.register(stage, () => {
        ran.push(stage);
      });
    await list.run();
    expect(ran).to.deep.equal(['http', 'agents', 'coordination', 'context', 'bus', 'results', 'postgres', 'audit', 'shared']);
  });

  it('runs the closers of one stage in registration order, each to completion before the next', async () => {
    const ran: string[] = [];
    const list = new ShutdownList();
    list.register('bus', () => {
      ran.push('bus');
    });
    list.register('context', async () => {
      await new Promise((r) => setTimeout(r, 20));
      ran.push('context-1');
    });
    list.register('context', () => {
      ran.push('context-2');
    });
    await list.run();
    expect(ran).to.deep.equal(['context-1', 'context-2', 'bus']);
  });

  it('keeps closing after a failed step, and a second run is the first one', async () => {
    const ran: string[] = [];
    const list = new ShutdownList();
    list.register('agents', () => Promise.reject(new Error('stuck')));
    list.register('audit', () => {
      ran.push('audit');
    });
    const first = list.run();
    expect(list.run()).to.equal(first);
    await first;
    expect(ran).to.deep.equal(['audit']);
  });
});
