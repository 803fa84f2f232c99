import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface StdioBridgeOptions {
  /** The sidecar's base URL (`http://host:port`); messages go to `<base>/mcp`. */
  baseUrl: string;
  /** The bearer token for each request (called per request, so an expiring token can be renewed). */
  token: () => Promise<string>;
  /** Where diagnostics go: never stdout, which is the protocol channel. */
  log: (line: string) => void;
  stdin?: NodeJS.ReadableStream & { pause(): unknown };
  stdout?: NodeJS.WritableStream;
}

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & { id: string | number; method: string } {
  return 'method' in message && 'id' in message;
}

/**
 * The stdio MCP server of `cco orchestration mcp`: a thin bridge that forwards every message from
 * stdin to the sidecar's `/mcp` (Streamable HTTP) and every answer back to stdout, so each tool
 * has exactly one implementation (in the sidecar) and the same auth, scoping, rate limits and
 * audit apply whichever transport an agent uses. A request the sidecar cannot take (down,
 * 401, 429) is answered with a JSON-RPC error carrying the reason, so the client is never left
 * waiting. Resolves when stdin ends.
 */
export async function runStdioBridge(options: StdioBridgeOptions): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdio = new StdioServerTransport(stdin as typeof process.stdin, (options.stdout ?? process.stdout) as typeof process.stdout);
  const authedFetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    headers.set('Authorization', `Bearer ${await options.token()}`);
    return fetch(url, { ...init, headers });
  };
  const http = new StreamableHTTPClientTransport(new URL('/mcp', options.baseUrl), { fetch: authedFetch });

  const pendingInitialize = new Set<string | number>();
  http.onmessage = (message) => {
    // The negotiated protocol version goes on every later request (MCP-Protocol-Version).
    if ('id' in message && pendingInitialize.delete(message.id as string | number) && 'result' in message) {
      const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === 'string') http.setProtocolVersion(version);
    }
    stdio.send(message).catch((err: Error) => options.log(`cco mcp: cannot write to stdout: ${err.message}`));
  };
  http.onerror = (err) => options.log(`cco mcp: ${err.message}`);
  stdio.onerror = (err) => options.log(`cco mcp: bad input on stdin: ${err.message}`);
  stdio.onmessage = (message) => {
    if (isRequest(message) && message.method === 'initialize') pendingInitialize.add(message.id);
    http.send(message).catch((err: Error) => {
      const why = err instanceof StreamableHTTPError && err.code !== undefined && err.code > 0 ? `HTTP ${err.code}: ${err.message}` : err.message;
      options.log(`cco mcp: ${why}`);
      if (!isRequest(message)) return;
      const reply: JSONRPCMessage = {
        jsonrpc: '2.0',
        id: message.id,
        error: { code: -32000, message: `The cco sidecar at ${options.baseUrl} did not take the request: ${why}` },
      };
      stdio.send(reply).catch(() => undefined);
    });
  };

  await http.start();
  await stdio.start();
  await new Promise<void>((resolve) => {
    stdin.once('end', resolve);
    stdin.once('close', resolve);
  });
  await stdio.close();
  await http.close();
}
