/**
 * Agent types → categories. The roster has ~119 types, so categories come from naming rules,
 * not a hand list. Used by default permissions, rate limits, workflow rules and context profiles.
 *
 * @example categoryOf('python-specialist') // 'coding'
 */
export type AgentCategory = 'architect' | 'coding' | 'test' | 'security' | 'devops' | 'documentation' | 'support' | 'default';

export const AGENT_CATEGORIES: readonly AgentCategory[] = ['architect', 'coding', 'test', 'security', 'devops', 'documentation', 'support', 'default'];

// Order matters: the first rule that matches wins ("security-test-engineer" is security).
const RULES: Array<[AgentCategory, RegExp]> = [
  ['architect', /(^|-)architect(-|$)/],
  ['security', /(^|-)(security|secops|appsec|pentest(er)?|penetration|vulnerability|auditor|compliance|threat)(-|$)/],
  ['test', /(^|-)(test|tests|tester|testing|qa|quality|e2e|qe)(-|$)/],
  [
    'devops',
    /(^|-)(devops|sre|ops|infrastructure|infra|platform|kubernetes|k8s|docker|terraform|ci|cd|cicd|deployment|release|cloud|aws|gcp|azure|observability|monitoring)(-|$)/,
  ],
  ['documentation', /(^|-)(documentation|docs?|writer|technical-writer|api-docs)(-|$)/],
  ['support', /(^|-)(support|helpdesk|customer|triage)(-|$)/],
  ['coding', /(^|-)(specialist|expert|developer|engineer|programmer|coder|dev|implementer|refactorer|debugger|frontend|backend|fullstack)(-|$)/],
];

export function categoryOf(agentType: string): AgentCategory {
  const t = agentType.toLowerCase();
  for (const [category, pattern] of RULES) if (pattern.test(t)) return category;
  return 'default';
}

/**
 * True when a rule pattern names this agent type: `*`, the exact type (case-insensitive) or its
 * category (e.g. `coding`). Used by workflow rules (`when_agent`).
 *
 * @example agentMatches('coding', 'go-expert') // true
 */
export function agentMatches(pattern: string, agentType: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.toLowerCase();
  return p === agentType.toLowerCase() || p === categoryOf(agentType);
}
