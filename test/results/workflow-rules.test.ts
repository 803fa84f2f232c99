import { expect } from 'chai';
import { configFor } from '../../src/config/load-config.js';
import { nextAgents } from '../../src/results/workflow-rules.js';

describe('workflow rules (next_agents)', () => {
  const types = (agentType: string, status: string): string[] => nextAgents(agentType, status).map((n) => `${n.agent_type}:${n.priority}`);

  it("sends a coding specialist's success to test-engineer (high) and security-auditor (medium)", () => {
    for (const t of ['python-specialist', 'react-expert', 'backend-developer', 'rust-engineer']) {
      expect(types(t, 'success'), t).to.deep.equal(['test-engineer:high', 'security-auditor:medium']);
    }
  });

  it('follows the pipeline test → security → devops → documentation, where it ends', () => {
    expect(types('test-engineer', 'success')).to.deep.equal(['security-auditor:high']);
    expect(types('qa-automation', 'success')).to.deep.equal(['security-auditor:high']);
    expect(types('security-auditor', 'success')).to.deep.equal(['devops-engineer:high']);
    expect(types('devops-engineer', 'success')).to.deep.equal(['documentation-specialist:low']);
    expect(types('documentation-specialist', 'success')).to.deep.equal([]);
    expect(types('technical-writer', 'success')).to.deep.equal([]);
    expect(types('chief-architect', 'success')).to.deep.equal([]);
  });

  it('sends any failure to chief-architect (high) and a partial result to it (medium)', () => {
    for (const t of ['python-specialist', 'test-engineer', 'documentation-specialist', 'whatever']) {
      expect(types(t, 'failed'), t).to.deep.equal(['chief-architect:high']);
      expect(types(t, 'partial'), t).to.deep.equal(['chief-architect:medium']);
    }
    expect(nextAgents('python-specialist', 'failed')[0]?.reason).to.be.a('string').and.not.empty;
  });

  it('uses workflow_rules from the config instead of the defaults, first match wins', () => {
    const cfg = configFor({
      project_root: '/tmp',
      storage_path: '/tmp/x',
      workflow_rules: [
        { when_agent: 'python-specialist', when_status: 'success', next: [{ agent_type: 'code-reviewer', priority: 'low', reason: 'review' }] },
        { when_agent: 'coding', next: [{ agent_type: 'qa-engineer', priority: 'high', reason: 'test it' }] },
        { when_agent: '*', when_status: '*', next: [] },
      ],
    });
    const rules = cfg.workflow_rules ?? [];
    expect(nextAgents('python-specialist', 'success', rules)).to.deep.equal([{ agent_type: 'code-reviewer', priority: 'low', reason: 'review' }]);
    expect(nextAgents('go-expert', 'success', rules)).to.deep.equal([{ agent_type: 'qa-engineer', priority: 'high', reason: 'test it' }]);
    expect(nextAgents('go-expert', 'failed', rules)).to.deep.equal([]);
  });
});
