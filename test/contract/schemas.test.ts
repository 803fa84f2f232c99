import { expect } from 'chai';
import { SAFE_ID_PATTERN, isSafeId, safeId } from '../../src/contract/ids.js';
import { contextParams, contextQuery } from '../../src/contract/context.js';
import { spawnBody } from '../../src/contract/agents.js';
import { publishBody } from '../../src/contract/events.js';
import { storeResultBody } from '../../src/contract/results.js';
import { configFor } from '../../src/config/load-config.js';

const UNSAFE = ['../../etc', '..', 'a..b', 'a/b', 'a\0b', '', '.hidden', '-x', 'x'.repeat(129), 'é'];

describe('Contract schemas (src/contract)', () => {
  it('one id rule: the pattern, the predicate and the zod schema agree on safe and unsafe ids', () => {
    for (const id of ['ISSUE-1', 'a', 'python-specialist', 'v1.2_x', 'x'.repeat(128)]) {
      expect([SAFE_ID_PATTERN.test(id), isSafeId(id), safeId.safeParse(id).success], id).to.deep.equal([true, true, true]);
    }
    for (const id of UNSAFE) expect([isSafeId(id), safeId.safeParse(id).success], JSON.stringify(id)).to.deep.equal([false, false]);
  });

  it('the config project_id uses the same rule', () => {
    expect(() => configFor({ project_id: 'a/b', project_root: '/tmp/p', storage_path: '/tmp/s' })).to.throw();
    expect(configFor({ project_id: 'proj-1', project_root: '/tmp/p', storage_path: '/tmp/s' }).project_id).to.equal('proj-1');
  });

  it('context: decoded traversal and unsafe ids are refused at the edge, before the engine runs', () => {
    for (const bad of UNSAFE) {
      expect(contextParams.safeParse({ issue_id: bad, agent_type: 'python-specialist' }).success, JSON.stringify(bad)).to.equal(false);
      expect(contextParams.safeParse({ issue_id: 'ISSUE-1', agent_type: bad }).success, JSON.stringify(bad)).to.equal(false);
    }
    expect(contextQuery.parse({ max_bytes: '1024', refresh: '1' })).to.deep.equal({ max_bytes: 1024, refresh: true });
    expect(contextQuery.safeParse({ max_files: '1001' }).success).to.equal(false);
    expect(contextQuery.safeParse({ strategy: 'everything' }).success).to.equal(false);
  });

  it('spawn: a task with a NUL or over 64 KiB (in bytes, not characters) is refused by the schema', () => {
    const base = { agent_type: 'python-specialist', issue_id: 'ISSUE-1' };
    expect(spawnBody.safeParse({ ...base, task: 'fix it' }).success).to.equal(true);
    expect(spawnBody.safeParse({ ...base, task: 'a\0b' }).success).to.equal(false);
    expect(spawnBody.safeParse({ ...base, task: 'x'.repeat(65_536) }).success).to.equal(true);
    expect(spawnBody.safeParse({ ...base, task: 'é'.repeat(40_000) }).success).to.equal(false);
    expect(spawnBody.safeParse({ ...base, task: 't', context_requirements: ['ok', 'bad\0'] }).success).to.equal(false);
  });

  it('bodies are strict: an unknown field is refused rather than silently dropped', () => {
    expect(storeResultBody.safeParse({ agent_id: 'a', agent_type: 'b', issue_id: 'c', result: { status: 'success' }, extra: 1 }).success).to.equal(false);
    expect(publishBody.safeParse({ data: {}, surprise: true }).success).to.equal(false);
  });
});
