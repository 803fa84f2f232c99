/** Values a configured argv may refer to. */
export interface PlaceholderValues {
  task: string;
  issue_id: string;
  agent_type: string;
  agent_id: string;
  context_file: string;
  /** Path of the agent's MCP configuration (`CCO_MCP_CONFIG`). */
  mcp_config: string;
  /** The sidecar's Streamable HTTP MCP endpoint (`http://host:port/mcp`). */
  mcp_url: string;
}

const PLACEHOLDER = /\{(task|issue_id|agent_type|agent_id|context_file|mcp_config|mcp_url)\}/g;

/**
 * Substitute `{task}`, `{issue_id}`, `{agent_type}`, `{agent_id}`, `{context_file}`,
 * `{mcp_config}` and `{mcp_url}` in a configured argv. Each configured element yields exactly one argv element, whatever the
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

/**
 * The same substitution in the values of a configured `env` (the operator's config, e.g. a
 * preset pointing a CLI at `{mcp_config}`); names are never substituted.
 */
export function substituteEnv(env: Readonly<Record<string, string>>, values: PlaceholderValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) out[name] = value.replace(PLACEHOLDER, (_m, key: keyof PlaceholderValues) => values[key]);
  return out;
}
