import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** An SDK `Client` connected to a real sidecar's `/mcp` with a bearer token. */
export async function httpClient(baseUrl: string, token: string | null): Promise<Client> {
  const client = new Client({ name: 'cco-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', baseUrl), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  });
  await client.connect(transport);
  return client;
}

/** Call a tool and return its result typed as a tool result. */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult & { structuredContent: any }> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult & { structuredContent: any };
}

/** The text blocks of a tool result. */
export function texts(result: CallToolResult): string[] {
  return result.content.flatMap((block) => (block.type === 'text' ? [block.text] : []));
}
