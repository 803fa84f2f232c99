import { expect } from 'chai';
import { agentCategory, agentMatches } from '../../src/util/agent-category.js';

describe('agentCategory', () => {
  const cases: Record<string, string[]> = {
    'chief-architect': ['chief-architect', 'Chief_Architect'],
    coding: ['python-specialist', 'react-expert', 'frontend-developer', 'backend-engineer', 'rust-programmer', 'solution-architect'],
    qa: ['test-engineer', 'qa-automation', 'qa-engineer', 'e2e-tester', 'test-writer', 'api-test-engineer'],
    security: ['security-auditor', 'security-engineer', 'app-security-specialist', 'code-auditor', 'pentester'],
    devops: ['devops-engineer', 'sre', 'infrastructure-specialist', 'deployment-expert', 'platform-engineer', 'release-manager'],
    documentation: ['documentation-specialist', 'technical-writer', 'docs-expert', 'api-documenter'],
    support: ['coordinator', 'helper', 'specialist', 'project-manager'],
  };
  for (const [category, types] of Object.entries(cases)) {
    it(`puts ${types.join(', ')} in ${category}`, () => {
      for (const t of types) expect(agentCategory(t), t).to.equal(category);
    });
  }

  it('matches a pattern by exact type, category or *', () => {
    expect(agentMatches('*', 'x')).to.equal(true);
    expect(agentMatches('coding', 'go-expert')).to.equal(true);
    expect(agentMatches('go-expert', 'Go-Expert')).to.equal(true);
    expect(agentMatches('qa', 'go-expert')).to.equal(false);
  });
});
