import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { VERSION } from '../version.js';
import type { ToolContext } from './tool-definition.js';
import type { ToolRegistry } from './tool-registry.js';

/** Shown to the model by clients that surface server instructions. */
const INSTRUCTIONS = [
  'cco is the orchestration sidecar of a team of coding agents working on one project.',
  'Start with get_context (and get_issue when listed) for your issue; store your outcome with store_result when you are done,',
  'which also tells you which agents should run next; coordinate with publish_event and wait_for_events',
  '(loop with since = next_cursor to see every event exactly once). issue_id and agent_type default to your token.',
].join(' ');

/**
 * An MCP server for one verified caller. The HTTP transport is stateless (a new server per
 * request), so the tool list is always the one the token's permissions allow right now.
 * `validator` is created once per app and shared by every request's server.
 */
export function createMcpServer(registry: ToolRegistry, context: ToolContext, validator: jsonSchemaValidator): Server {
  const server = new Server(
    { name: 'cco', title: 'cco orchestration sidecar', version: VERSION },
    {
      capabilities: { tools: { listChanged: false } },
      instructions: INSTRUCTIONS,
      // Shared: the SDK builds a new Ajv instance per server otherwise (~1.5 ms idle, per request).
      jsonSchemaValidator: validator,
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: registry.listFor(context.caller) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args } = request.params;
    // An unknown name is a protocol error (MCP spec); a known tool the token may not use is a
    // tool error with AUTH_003, like the HTTP route's 403.
    if (!registry.has(name)) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    return registry.call(name, args, { ...context, signal: AbortSignal.any([context.signal, extra.signal]) });
  });
  return server;
}
