/**
 * 119 agent types in the style of the cco roster (coding specialists per language and
 * framework, test, security, devops, documentation, support, architects), used by the
 * concurrency benchmark. Listed here only to drive the benchmark: profiles come from rules.
 */
const LANGUAGE_ROLES = [
  'python', 'typescript', 'javascript', 'go', 'rust', 'java', 'kotlin', 'scala', 'csharp', 'cpp', 'c', 'ruby', 'php',
  'swift', 'dart', 'elixir', 'haskell', 'clojure', 'lua', 'r', 'julia', 'perl', 'shell', 'sql', 'solidity', 'zig',
];
const FRAMEWORKS = ['react', 'vue', 'angular', 'svelte', 'nextjs', 'django', 'flask', 'fastapi', 'rails', 'laravel', 'spring', 'flutter', 'android', 'ios', 'node', 'graphql'];
const OTHERS = [
  'chief-architect', 'solution-architect', 'software-architect', 'cloud-architect', 'data-architect',
  'test-engineer', 'qa-engineer', 'e2e-tester', 'performance-tester', 'test-automation-engineer', 'unit-test-specialist', 'integration-tester',
  'security-auditor', 'penetration-tester', 'appsec-engineer', 'compliance-auditor', 'threat-modeler', 'vulnerability-analyst',
  'devops-engineer', 'sre-engineer', 'kubernetes-specialist', 'docker-specialist', 'terraform-expert', 'ci-cd-engineer', 'release-manager',
  'cloud-engineer', 'aws-specialist', 'gcp-specialist', 'azure-specialist', 'observability-engineer', 'platform-engineer',
  'documentation-writer', 'technical-writer', 'api-docs-writer', 'docs-specialist',
  'support-engineer', 'customer-support-agent', 'triage-agent', 'helpdesk-agent',
  'backend-developer', 'frontend-developer', 'fullstack-developer', 'mobile-developer', 'code-reviewer', 'refactoring-specialist',
  'debugger', 'data-scientist', 'ml-engineer', 'database-specialist', 'data-engineer', 'ux-designer',
];

export const ROSTER: string[] = [
  ...LANGUAGE_ROLES.map((l) => `${l}-specialist`),
  ...LANGUAGE_ROLES.map((l) => `${l}-developer`),
  ...FRAMEWORKS.map((f) => `${f}-expert`),
  ...OTHERS,
].slice(0, 119);

if (ROSTER.length !== 119) throw new Error(`roster has ${ROSTER.length} types`);
