/** The result both result benches store: a realistic envelope of about 400 bytes. */
export function benchResultBody(issue: string): string {
  return JSON.stringify({
    agent_id: 'bench-agent',
    agent_type: 'python-specialist',
    issue_id: issue,
    result: {
      status: 'success',
      files_created: ['src/feature/new_module.py', 'tests/test_new_module.py'],
      files_modified: ['src/feature/__init__.py'],
      decisions: ['Split parsing from I/O'],
      rationale: 'Keeps the parser pure and testable',
      metrics: { tests_added: 12, coverage: 0.91 },
    },
  });
}
