/**
 * Built-in agent commands for the coding-agent CLIs teams run today, selectable in the `agents`
 * config (`{"python-specialist": {"preset": "claude"}}`). Each gets the task in its arguments,
 * the context in `CONTEXT_FILE` (and the `get_context` tool) and its scoped token through its MCP
 * configuration (`CCO_MCP_CONFIG`, the file `{mcp_config}` names) or `JWT_TOKEN`. Placeholders
 * are substituted per agent (src/agents/argv-template.ts); no shell is involved.
 */
export const AGENT_PRESET_NAMES = ['claude', 'codex', 'gemini', 'aider'] as const;
export type AgentPresetName = (typeof AGENT_PRESET_NAMES)[number];

/** The MCP client format an agent's `CCO_MCP_CONFIG` file is written in. */
export const MCP_CONFIG_FORMATS = ['claude', 'gemini', 'cursor', 'json'] as const;
export type McpConfigFormat = (typeof MCP_CONFIG_FORMATS)[number];

export interface AgentPreset {
  command: string;
  args: readonly string[];
  /** Values may hold placeholders too (e.g. a settings path). */
  env: Readonly<Record<string, string>>;
  mcp_config_format: McpConfigFormat;
}

export const AGENT_PRESETS: Readonly<Record<AgentPresetName, AgentPreset>> = {
  // Claude Code, headless: only the cco server (--strict-mcp-config ignores the user's other
  // servers), and its tools pre-approved, since nobody is there to approve a tool call.
  claude: {
    command: 'claude',
    args: ['-p', '{task}', '--mcp-config', '{mcp_config}', '--strict-mcp-config', '--allowedTools', 'mcp__cco'],
    env: {},
    mcp_config_format: 'claude',
  },
  // Codex CLI, non-interactive: the cco server is added with -c overrides (no file of the user's
  // is touched) and reads its bearer token from JWT_TOKEN (Codex refuses an inline token).
  codex: {
    command: 'codex',
    args: ['exec', '--full-auto', '-c', 'mcp_servers.cco.url="{mcp_url}"', '-c', 'mcp_servers.cco.bearer_token_env_var="JWT_TOKEN"', '{task}'],
    env: {},
    mcp_config_format: 'json',
  },
  // Gemini CLI, non-interactive: its system settings layer (which overrides the user's) is this
  // agent's CCO_MCP_CONFIG, written in Gemini's format (httpUrl + headers).
  gemini: {
    command: 'gemini',
    args: ['-p', '{task}', '--yolo', '--allowed-mcp-server-names', 'cco'],
    env: { GEMINI_CLI_SYSTEM_SETTINGS_PATH: '{mcp_config}' },
    mcp_config_format: 'gemini',
  },
  // aider has no MCP client: the task is its message and the context JSON a read-only file.
  aider: {
    command: 'aider',
    args: ['--message', '{task}', '--read', '{context_file}', '--yes-always', '--no-auto-commits'],
    env: {},
    mcp_config_format: 'json',
  },
};
