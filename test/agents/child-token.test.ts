import { expect } from 'chai';
import { childTokenRequest } from '../../src/agents/child-token.js';

const grants = ['read_context', 'write_results', 'read_results', 'publish_events', 'subscribe_events'];

describe('agents/child-token', () => {
  it('scopes the child to its id, type, project and issue, capped by the caller expiry', () => {
    const caller = { sub: 'op', agent_type: 'operator', project_id: 'proj', permissions: ['admin'], exp: 1234 };
    expect(childTokenRequest(caller, 'agt-1', 'qa-engineer', 'proj', 'ISSUE-1', grants)).to.deep.equal({
      sub: 'agt-1',
      agent_type: 'qa-engineer',
      project_id: 'proj',
      issue_id: 'ISSUE-1',
      permissions: grants,
      not_after: 1234,
    });
  });

  it('never grants more than the caller holds', () => {
    const caller = {
      sub: 'arch',
      agent_type: 'chief-architect',
      project_id: 'proj',
      permissions: new Set(['spawn_agents', 'read_context', 'read_results']),
      exp: 99,
    };
    const req = childTokenRequest(caller, 'agt-2', 'chief-architect', 'proj', 'I', [...grants, 'spawn_agents', 'manage_agents']);
    expect(req.permissions).to.deep.equal(['read_context', 'read_results', 'spawn_agents']);
  });
});
