import { expect } from 'chai';
import { parseProcStat, readBootId, readProcStat } from '../../src/agents/proc-stat.js';
import { identifyGroup } from '../../src/agents/process-group.js';

describe('agents/proc-stat', () => {
  it('parses a stat line whose command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    const line = `4242 (evil ) name (x)) ${fields.join(' ')}`;
    const stat = parseProcStat(line);
    expect(stat).to.deep.equal({ pid: 4242, state: 'S', ppid: 4, pgrp: 5, session: 6, startTicks: 22 });
  });

  it('reads this process and tells a recycled pid from the same process', () => {
    const me = readProcStat(process.pid);
    expect(me?.pid).to.equal(process.pid);
    expect(me?.startTicks).to.be.a('number');
    const ticks = me?.startTicks ?? 0;
    expect(identifyGroup({ pid: process.pid, startTicks: ticks, bootId: readBootId() })).to.equal('leader_alive');
    expect(identifyGroup({ pid: process.pid, startTicks: ticks + 1, bootId: readBootId() })).to.equal('recycled');
    expect(identifyGroup({ pid: process.pid, startTicks: ticks, bootId: 'another-boot' })).to.equal('recycled');
    expect(identifyGroup({ pid: process.pid, startTicks: null, bootId: null })).to.equal('unknown');
    expect(readProcStat(2 ** 30)).to.equal(null);
    // pid 0 or 1 would make kill(-pid) reach our own group or everyone: never signalled.
    expect(identifyGroup({ pid: 0, startTicks: 1, bootId: null })).to.equal('unknown');
    expect(identifyGroup({ pid: 1, startTicks: readProcStat(1)?.startTicks ?? 1, bootId: null })).to.equal('unknown');
  });
});
