import { BaseCommand } from '../../cli/base-command.js';
import { operatorToken, sidecarUrl } from '../../cli/operator-token.js';
import { agentSidecarUrl } from '../../config/client-settings.js';
import { runStdioBridge } from '../../mcp/stdio-bridge.js';

/** The operator token lives 600 s; a long-running bridge signs a new one before that. */
const OPERATOR_TOKEN_REUSE_MS = 8 * 60_000;

export default class Mcp extends BaseCommand<typeof Mcp> {
  static override summary = 'Run an MCP server on stdio (for coding-agent CLIs) that forwards to the sidecar';
  static override description = [
    "Speaks MCP on stdin/stdout and forwards every message to the sidecar's /mcp (Streamable HTTP), so the tools,",
    "permissions, rate limits and audit are the sidecar's. Finds the sidecar through --url, SIDECAR_URL (as spawned",
    'agents get it), CCO_SIDECAR_URL or the running sidecar; the token through --token or JWT_TOKEN, else an operator',
    'token signed with the local key. Diagnostics go to stderr; stdout is the protocol channel.',
  ].join(' ');

  static override examples = [
    'claude mcp add cco -- <%= config.bin %> orchestration mcp',
    'JWT_TOKEN=$(<%= config.bin %> orchestration token --agent-type python-specialist --issue ISSUE-1) <%= config.bin %> orchestration mcp',
  ];

  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const settings = this.settings();
    const baseUrl = this.flags.url?.replace(/\/+$/, '') ?? agentSidecarUrl() ?? (await sidecarUrl(settings)).url;
    let token: (() => Promise<string>) | undefined;
    if (settings.token) {
      const fixed = settings.token;
      token = () => Promise.resolve(fixed);
    } else {
      let cached: { token: string; at: number } | undefined;
      token = async () => {
        if (!cached || Date.now() - cached.at > OPERATOR_TOKEN_REUSE_MS) cached = { token: await operatorToken(settings), at: Date.now() };
        return cached.token;
      };
      await token();
    }
    process.stderr.write(`cco mcp: forwarding stdio to ${baseUrl}/mcp\n`);
    await runStdioBridge({ baseUrl, token, log: (line) => process.stderr.write(`${line}\n`) });
  }
}
