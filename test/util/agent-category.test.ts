import { expect } from 'chai';
import { agentMatches, categoryOf } from '../../src/util/agent-category.js';

describe('agentMatches (workflow rule patterns)', () => {
  it("matches by *, the exact type (any case) or the type's category", () => {
    expect(agentMatches('*', 'x')).to.equal(true);
    expect(agentMatches('coding', 'go-expert')).to.equal(true);
    expect(agentMatches('go-expert', 'Go-Expert')).to.equal(true);
    expect(agentMatches('test', 'go-expert')).to.equal(false);
    expect(agentMatches(categoryOf('qa-automation'), 'test-engineer')).to.equal(true);
  });
});
