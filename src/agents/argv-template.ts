/** Values a configured argv may refer to. */
export interface PlaceholderValues {
  task: string;
  issue_id: string;
  agent_type: string;
  agent_id: string;
  context_file: string;
}

const PLACEHOLDER = /\{(task|issue_id|agent_type|agent_id|context_file)\}/g;

/**
 * Substitute `{task}`, `{issue_id}`, `{agent_type}`, `{agent_id}` and `{context_file}` in a
 * configured argv. Each configured element yields exactly one argv element, whatever the
 * values hold (spaces, quotes, `;`, newlines): there is no shell and no word splitting, so a
 * task can never become a second argument or a command. Substitution is a single pass, so a
 * task that itself contains `{issue_id}` stays literal. Unknown `{…}` sequences stay literal too
 * (configured arguments may legitimately contain braces, e.g. JSON).
 *
 * The command itself is never substituted: a request must not choose what runs.
 *
 * @example substituteArgs(['-p', '{task}'], v) // ['-p', 'fix the bug; rm -rf /']
 */
export function substituteArgs(args: readonly string[], values: PlaceholderValues): string[] {
  return args.map((arg) => arg.replace(PLACEHOLDER, (_m, name: keyof PlaceholderValues) => values[name]));
}
