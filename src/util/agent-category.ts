/**
 * Agent categories of the spec: default permissions (§2), rate limits (§3) and workflow rules
 * (`next_agents`) are defined per category, while agents are free to name their type
 * (`python-specialist`, `react-expert`, `qa-automation`, …).
 *
 * - `chief-architect`: exactly `chief-architect` (it gets the widest grants, so no pattern);
 * - `security`: any type with a `security` word, or ending in `-auditor` / `pentester`;
 * - `qa`: `test-engineer`, `qa-*`, `*-qa`, `test-*`, `*-tester`, `*-test-engineer`;
 * - `devops`: `devops-*`, `*-devops`, `sre*`, `infrastructure-*`, `deployment-*`, `release-*`,
 *   `platform-engineer`;
 * - `documentation`: `documentation-*`, `*-documentation`, `docs-*`, `technical-writer`,
 *   `*-writer`, `*-documenter`;
 * - `coding`: the remaining types ending in `-specialist`, `-expert`, `-developer`,
 *   `-engineer`, `-programmer`, `-coder`, `-architect` (language/framework coders);
 * - `support`: everything else (the least privileged category, so an unknown name never gains
 *   rights by accident).
 *
 * Checked in that order, so `security-engineer` is security and `documentation-specialist` is
 * documentation, not coding. Matching is case-insensitive; `_` and `.` count as `-`.
 *
 * @example agentCategory('python-specialist') // 'coding'
 */
export type AgentCategory = 'chief-architect' | 'coding' | 'qa' | 'security' | 'devops' | 'documentation' | 'support';

export const AGENT_CATEGORIES: readonly AgentCategory[] = [
  'chief-architect', 'coding', 'qa', 'security', 'devops', 'documentation', 'support',
];

const CODING_SUFFIXES = new Set(['specialist', 'expert', 'developer', 'engineer', 'programmer', 'coder', 'architect']);
const DEVOPS_WORDS = new Set(['devops', 'sre', 'infrastructure', 'infra', 'deployment', 'release']);
const DOC_WORDS = new Set(['documentation', 'docs', 'doc']);

export function agentCategory(agentType: string): AgentCategory {
  const name = agentType.toLowerCase().replace(/[_.]/g, '-');
  const words = name.split('-').filter(Boolean);
  const first = words[0] ?? '';
  const last = words[words.length - 1] ?? '';

  if (name === 'chief-architect') return 'chief-architect';
  if (words.includes('security') || last === 'auditor' || words.includes('pentester')) return 'security';
  if (first === 'qa' || last === 'qa' || first === 'test' || first === 'tests' || last === 'tester'
    || name.endsWith('test-engineer') || words.includes('testing')) return 'qa';
  if (words.some((w) => DEVOPS_WORDS.has(w)) || name === 'platform-engineer') return 'devops';
  if (words.some((w) => DOC_WORDS.has(w)) || last === 'writer' || last === 'documenter') return 'documentation';
  if (words.length >= 2 && CODING_SUFFIXES.has(last)) return 'coding';
  return 'support';
}

/** True when `pattern` names this agent: `*`, the exact type (case-insensitive) or its category. */
export function agentMatches(pattern: string, agentType: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.toLowerCase();
  return p === agentType.toLowerCase() || p === agentCategory(agentType);
}
