import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { signLocalToken, sidecarUrl } from '../../cli/operator-token.js';
import { defaultPermissionsFor } from '../../auth/permissions.js';
import { writeFileAtomic } from '../../storage/atomic-write.js';
import { isSafeId } from '../../util/ids.js';
import {
  CODEX_TOKEN_ENV,
  MCP_CLIENTS,
  MCP_TRANSPORTS,
  PROJECT_FILES,
  configDocument,
  entryIn,
  mergeDocument,
  parseDocument,
  renderDocument,
  serverEntry,
  type McpClient,
  type McpTransport,
} from '../../mcp/client-config.js';

interface McpConfigOutput {
  client: McpClient;
  transport: McpTransport;
  server_name: string;
  config: Record<string, unknown>;
  snippet: string;
  token: string;
  expires_at: string;
  /** Set for codex over HTTP: the variable the token must be exported in. */
  token_env?: string;
  file?: string;
  written: boolean;
  other_servers?: string[];
}

export default class McpConfig extends BaseCommand<typeof McpConfig> {
  static override summary = 'Print (or --write) the MCP server config a coding-agent CLI reads, with a freshly minted scoped token';
  static override description = [
    'claude: .mcp.json mcpServers (type http with headers, or type stdio); codex: .codex/config.toml [mcp_servers.cco]',
    `(HTTP with bearer_token_env_var = ${CODEX_TOKEN_ENV}: Codex refuses an inline bearer token); gemini: .gemini/settings.json`,
    'mcpServers (httpUrl + headers); cursor: .cursor/mcp.json; json: a plain mcpServers document. --write merges the server',
    "into the project's file for that client (mode 0600: it holds a token) and keeps every other server.",
  ].join(' ');

  static override examples = [
    '<%= config.bin %> orchestration mcp-config --client claude --agent-type python-specialist --issue ISSUE-1 --write',
    `export ${CODEX_TOKEN_ENV}=$(<%= config.bin %> orchestration mcp-config --client codex --agent-type python-specialist --write --json | jq -r .token)`,
    '<%= config.bin %> orchestration mcp-config --client gemini --agent-type test-engineer --transport stdio',
  ];

  static override flags = {
    client: Flags.string({ description: 'Which client reads the config', options: [...MCP_CLIENTS], required: true }),
    'agent-type': Flags.string({ description: 'Agent type the token acts as', required: true }),
    issue: Flags.string({ description: 'Limit the token to this issue (the tools default to it)' }),
    ttl: Flags.integer({ description: 'Token lifetime in seconds', default: 86_400, min: 60, max: 30 * 86_400 }),
    transport: Flags.string({
      description: "http: the sidecar's /mcp; stdio: the client runs `cco orchestration mcp`",
      options: [...MCP_TRANSPORTS],
      default: 'http',
    }),
    write: Flags.boolean({ description: "Merge into the project's file for this client instead of printing" }),
    file: Flags.string({ description: "With --write: this file instead of the client's project file (required for --client json)" }),
    project: Flags.string({ description: "Project root for --write (default: the running sidecar's, else the working directory)" }),
    name: Flags.string({ description: 'Server name in the config', default: 'cco' }),
    sub: Flags.string({ description: 'Subject (agent id) of the token (default: <agent-type>-mcp)' }),
  };

  async run(): Promise<McpConfigOutput> {
    const f = this.flags;
    const client = f.client as McpClient;
    const transport = f.transport as McpTransport;
    for (const [flag, value] of [
      ['agent-type', f['agent-type']],
      ['issue', f.issue],
      ['name', f.name],
      ['sub', f.sub],
    ] as const) {
      if (value !== undefined && !isSafeId(value)) this.error(`--${flag} must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`, { exit: 2 });
    }
    if (f.write && client === 'json' && !f.file) this.error('--client json has no project file: pass --file with --write', { exit: 2 });

    const settings = this.settings();
    const { url, state } = await sidecarUrl(settings);
    const minted = await signLocalToken(settings, {
      sub: f.sub ?? `${f['agent-type']}-mcp`,
      agent_type: f['agent-type'],
      permissions: defaultPermissionsFor(f['agent-type']),
      ttl_seconds: f.ttl,
      ...(f.issue ? { issue_id: f.issue } : {}),
    });
    const entry = serverEntry(client, { baseUrl: url.replace(/\/+$/, ''), token: minted.token, transport });
    const tokenEnv = client === 'codex' && transport === 'http' ? CODEX_TOKEN_ENV : undefined;
    const out: McpConfigOutput = {
      client,
      transport,
      server_name: f.name,
      config: configDocument(client, f.name, entry),
      snippet: '',
      token: minted.token,
      expires_at: minted.expires_at,
      ...(tokenEnv ? { token_env: tokenEnv } : {}),
      written: false,
    };
    out.snippet = renderDocument(client, out.config);

    if (!f.write) {
      if (!this.jsonEnabled()) {
        if (tokenEnv)
          process.stdout.write(`# Codex reads the token from ${tokenEnv} (it refuses an inline bearer token):\n# export ${tokenEnv}=${minted.token}\n`);
        process.stdout.write(out.snippet);
      }
      return out;
    }

    const root = path.resolve(f.project ?? state?.project_root ?? process.cwd());
    const file = path.resolve(root, f.file ?? PROJECT_FILES[client as Exclude<McpClient, 'json'>]);
    const existingText = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    let existing: Record<string, unknown> = {};
    if (existingText !== undefined && existingText.trim() !== '') {
      try {
        existing = parseDocument(client, existingText);
      } catch (err) {
        this.error(`${file} is not valid ${client === 'codex' ? 'TOML' : 'JSON'} (${(err as Error).message}); fix or move it, nothing was written`, {
          exit: 1,
        });
      }
    }
    let merged: Record<string, unknown>;
    try {
      merged = mergeDocument(client, existing, f.name, entry);
    } catch (err) {
      this.error(`${file}: ${(err as Error).message}; nothing was written`, { exit: 1 });
    }
    // A client's own folder (.codex, .gemini, .cursor) keeps the usual mode; the file is 0600.
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, renderDocument(client, merged));

    // Read the file back: the client will parse it, so must we, and nothing else may be lost.
    const reread = parseDocument(client, await readFile(file, 'utf8'));
    const before = Object.keys(existing[client === 'codex' ? 'mcp_servers' : 'mcpServers'] ?? {}).filter((n) => n !== f.name);
    const after = Object.keys(reread[client === 'codex' ? 'mcp_servers' : 'mcpServers'] ?? {});
    if (JSON.stringify(entryIn(client, reread, f.name)) !== JSON.stringify(entry) || before.some((n) => !after.includes(n))) {
      this.error(`${file} does not read back as written; check it by hand`, { exit: 1 });
    }
    out.file = file;
    out.written = true;
    out.other_servers = before;
    this.say(`Wrote server '${f.name}' (${transport}) to ${file}${before.length > 0 ? `; kept ${before.join(', ')}` : ''}.`);
    if (tokenEnv) this.say(`Codex reads the token from ${tokenEnv}:\n  export ${tokenEnv}=${minted.token}`);
    this.say(`The token acts as ${f['agent-type']}${f.issue ? ` on ${f.issue}` : ''} until ${minted.expires_at}; the file is mode 0600.`);
    return out;
  }
}
