import type { WorkflowRule } from '../config/schema.js';
import { agentMatches } from '../util/agent-category.js';

/** One entry of `next_agents` in the `POST /api/results` answer. */
export interface NextAgent {
  agent_type: string;
  priority: 'high' | 'medium' | 'low';
  reason: string;
}

/**
 * Defaults of the spec, as a pipeline coding → test → security → devops → documentation:
 * - any failure → chief-architect (high);
 * - a partial result → chief-architect (medium), who decides how to finish it;
 * - coding success → test-engineer (high), security-auditor (medium);
 * - test (QA) success → security-auditor (high); security success → devops-engineer (high);
 * - devops success → documentation-specialist (low): documentation comes last;
 * - documentation, architect, support and other agents end the chain (no next agent).
 * `when_agent` is an exact agent type, a category of `categoryOf` (src/util/agent-category.ts) or `*`.
 */
export const DEFAULT_WORKFLOW_RULES: readonly WorkflowRule[] = Object.freeze([
  {
    when_agent: '*',
    when_status: 'failed',
    next: [{ agent_type: 'chief-architect', priority: 'high', reason: 'The agent failed; the architect decides how to recover' }],
  },
  {
    when_agent: '*',
    when_status: 'partial',
    next: [{ agent_type: 'chief-architect', priority: 'medium', reason: 'The result is partial; the architect plans the remaining work' }],
  },
  {
    when_agent: 'coding',
    when_status: 'success',
    next: [
      { agent_type: 'test-engineer', priority: 'high', reason: 'Implementation finished; verify it with tests' },
      { agent_type: 'security-auditor', priority: 'medium', reason: 'Implementation finished; audit the changes for security issues' },
    ],
  },
  {
    when_agent: 'test',
    when_status: 'success',
    next: [{ agent_type: 'security-auditor', priority: 'high', reason: 'Tests pass; audit the changes for security issues' }],
  },
  {
    when_agent: 'security',
    when_status: 'success',
    next: [{ agent_type: 'devops-engineer', priority: 'high', reason: 'Security audit passed; prepare deployment' }],
  },
  {
    when_agent: 'devops',
    when_status: 'success',
    next: [{ agent_type: 'documentation-specialist', priority: 'low', reason: 'Deployment ready; document the change' }],
  },
]);

/**
 * `next_agents` for a stored result: the `next` list of the first rule (in order) whose
 * `when_agent` and `when_status` match; empty when none does. Rules from config
 * (`workflow_rules`) replace the defaults entirely, so an operator can see the whole workflow in
 * one place.
 *
 * @example nextAgents('python-specialist', 'success') // test-engineer (high), security-auditor (medium)
 */
export function nextAgents(agentType: string, status: string, rules: readonly WorkflowRule[] = DEFAULT_WORKFLOW_RULES): NextAgent[] {
  const rule = rules.find((r) => (r.when_status === '*' || r.when_status === status) && agentMatches(r.when_agent, agentType));
  return rule ? rule.next.map((n) => ({ agent_type: n.agent_type, priority: n.priority, reason: n.reason })) : [];
}
