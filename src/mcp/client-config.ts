import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';

export const MCP_CLIENTS = ['claude', 'codex', 'gemini', 'cursor', 'json'] as const;
export type McpClient = (typeof MCP_CLIENTS)[number];
export const MCP_TRANSPORTS = ['http', 'stdio'] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

/** Codex refuses an inline bearer token: it reads it from this environment variable. */
export const CODEX_TOKEN_ENV = 'CCO_MCP_TOKEN';

/** `bin/run.js` of this installation, so a stdio entry works without `cco` on the PATH. */
export const CCO_BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

export interface ServerTarget {
  /** Sidecar base URL (`http://host:port`). */
  baseUrl: string;
  token: string;
  transport: McpTransport;
}

/** Where each client reads project-level MCP servers, relative to the project root. */
export const PROJECT_FILES: Record<Exclude<McpClient, 'json'>, string> = {
  claude: '.mcp.json',
  codex: path.join('.codex', 'config.toml'),
  gemini: path.join('.gemini', 'settings.json'),
  cursor: path.join('.cursor', 'mcp.json'),
};

function stdioCommand(target: ServerTarget): { command: string; args: string[]; env: Record<string, string> } {
  return {
    command: process.execPath,
    args: [CCO_BIN, 'orchestration', 'mcp'],
    env: { CCO_SIDECAR_URL: target.baseUrl, JWT_TOKEN: target.token },
  };
}

/**
 * The server entry one client expects, under `mcpServers.<name>` (or `[mcp_servers.<name>]`):
 * - claude / json: `{type: "http", url, headers}` or `{type: "stdio", command, args, env}`;
 * - codex: `{url, bearer_token_env_var}` (the token stays in the environment) or `{command, args, env}`;
 * - gemini: `{httpUrl, headers}` or `{command, args, env}`;
 * - cursor: `{url, headers}` or `{command, args, env}`.
 */
export function serverEntry(client: McpClient, target: ServerTarget): Record<string, unknown> {
  const url = `${target.baseUrl}/mcp`;
  const headers = { Authorization: `Bearer ${target.token}` };
  if (target.transport === 'stdio') {
    const stdio = stdioCommand(target);
    return client === 'claude' || client === 'json' ? { type: 'stdio', ...stdio } : stdio;
  }
  switch (client) {
    case 'claude':
    case 'json':
      return { type: 'http', url, headers };
    case 'codex':
      return { url, bearer_token_env_var: CODEX_TOKEN_ENV };
    case 'gemini':
      return { httpUrl: url, headers };
    case 'cursor':
      return { url, headers };
  }
}

/** The whole document a client reads, holding only this server. */
export function configDocument(client: McpClient, name: string, entry: Record<string, unknown>): Record<string, unknown> {
  return client === 'codex' ? { mcp_servers: { [name]: entry } } : { mcpServers: { [name]: entry } };
}

export function renderDocument(client: McpClient, doc: Record<string, unknown>): string {
  return client === 'codex' ? `${stringifyToml(doc)}\n` : `${JSON.stringify(doc, null, 2)}\n`;
}

export function parseDocument(client: McpClient, text: string): Record<string, unknown> {
  const parsed: unknown = client === 'codex' ? parseToml(text) : JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the file does not hold an object');
  return parsed as Record<string, unknown>;
}

/**
 * Merge this server into a client's existing document: other servers and every other setting
 * stay as they were; an older entry of the same name is replaced.
 */
export function mergeDocument(client: McpClient, existing: Record<string, unknown>, name: string, entry: Record<string, unknown>): Record<string, unknown> {
  const key = client === 'codex' ? 'mcp_servers' : 'mcpServers';
  const current = existing[key];
  if (current !== undefined && (current === null || typeof current !== 'object' || Array.isArray(current))) {
    throw new Error(`${key} in the file is not a table of servers`);
  }
  return { ...existing, [key]: { ...(current as Record<string, unknown> | undefined), [name]: entry } };
}

/** The server entry of `name` in a parsed document (to check a written file). */
export function entryIn(client: McpClient, doc: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const servers = doc[client === 'codex' ? 'mcp_servers' : 'mcpServers'] as Record<string, Record<string, unknown>> | undefined;
  return servers?.[name];
}

/**
 * The `CCO_MCP_CONFIG` file of a spawned agent: an `mcpServers` document holding the sidecar's
 * `/mcp` with the agent's own token, in the format of the client the agent runs. For Gemini CLI
 * it is the system settings layer of that one process, so it also turns off the folder-trust
 * check, without which Gemini disables every MCP server in a folder nobody approved interactively.
 */
export function agentMcpConfig(format: Exclude<McpClient, 'codex'>, baseUrl: string, token: string): string {
  const doc = configDocument(format, 'cco', serverEntry(format, { baseUrl, token, transport: 'http' }));
  if (format === 'gemini') doc.security = { folderTrust: { enabled: false } };
  return renderDocument(format, doc);
}
