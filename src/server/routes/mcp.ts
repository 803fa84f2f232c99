import type { Next } from 'koa';
import { z } from 'zod';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isJSONRPCRequest, JSONRPCMessageSchema, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import { MethodNotAllowedError, ValidationError } from '../../errors/index.js';
import { createMcpServer } from '../../mcp/mcp-server.js';
import { SingleCallTransport } from '../../mcp/single-call-transport.js';
import { ToolRegistry } from '../../mcp/tool-registry.js';
import { allTools } from '../../mcp/tools/index.js';
import type { AppContext } from '../app-types.js';
import { abortOnClose } from '../abort-on-close.js';
import type { RouteSpec } from '../route-spec.js';
import { authOf } from '../permissions.js';
import type { RouteModule } from './routers.js';

/** One JSON-RPC message or a batch of them: anything else is refused before the SDK sees it. */
const mcpBody = z.union([JSONRPCMessageSchema, z.array(JSONRPCMessageSchema).min(1).max(100)]);

const MCP_SPEC = {
  method: 'post',
  path: '/mcp',
  tag: 'mcp',
  summary: 'MCP over Streamable HTTP (stateless: one JSON answer per POST; GET and DELETE are 405, as MCP allows)',
  body: mcpBody,
  responses: {
    200: {
      description: 'JSON-RPC answer (tool errors are results with isError: true and the contract code)',
      schema: z.union([JSONRPCMessageSchema, z.array(JSONRPCMessageSchema)]),
    },
    202: { description: 'A notification or response was accepted (empty body)', schema: z.string().max(0), contentType: 'text/plain' },
    400: { description: 'REQ_001: not a JSON-RPC message, or an unsupported MCP-Protocol-Version' },
    401: { description: 'AUTH_001 / AUTH_002, with WWW-Authenticate: Bearer' },
  },
} satisfies RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

/**
 * GET (a server-to-client SSE stream) and DELETE (ending a session) mean nothing without sessions;
 * MCP lets a server answer both with 405. They are routes of their own so that a request without
 * a valid token gets the 401 challenge first, as on POST.
 */
const NO_SESSION_SPECS = (['get', 'delete'] as const).map(
  (method) =>
    ({
      method,
      path: '/mcp',
      tag: 'mcp',
      summary: `MCP ${method.toUpperCase()}: 405 (stateless transport: no server-initiated stream, no session to end)`,
      responses: {
        401: { description: 'AUTH_001 / AUTH_002, with WWW-Authenticate: Bearer' },
        405: { description: 'METHOD_NOT_ALLOWED with Allow: POST' },
      },
    }) satisfies RouteSpec<z.ZodType, z.ZodType, z.ZodType>,
);

/** MCP clients discover that they must send a token from this header on the 401 (RFC 6750). */
async function bearerChallenge(ctx: AppContext, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if ((err as { status?: number }).status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="cco"');
    throw err;
  }
}

/**
 * `POST /mcp`: the Streamable HTTP transport of the MCP SDK, behind the same guard as every
 * protected route (token, rate limit, JSON body, audit intent). Stateless mode:
 * every POST gets its own server built for the caller's token, so the sidecar keeps no session
 * state (a restart or another node of a cluster answers the next call just as well) and the tool
 * list always matches the token. Answers are plain JSON (`enableJsonResponse`), never SSE.
 */
export const mcpRoutes: RouteModule = (routers, deps) => {
  const registry = new ToolRegistry(allTools());
  const validator = new AjvJsonSchemaValidator();
  routers.catalog.specs.push(MCP_SPEC);
  for (const spec of NO_SESSION_SPECS) {
    routers.catalog.specs.push(spec);
    routers.router[spec.method]('/mcp', bearerChallenge, routers.protectedGuard, () => {
      throw new MethodNotAllowedError(['POST']);
    });
  }
  // The request is audited at the data level (an outcome line; refused at once while the audit log
  // is failing): a tool that changes state at the control level writes its own intent line, naming
  // the tool, before it acts (see ToolRegistry). An awaited intent line for every call, reads included,
  // was the largest part of what a tool call cost over the same plain HTTP request (~1 ms here).
  const dataLevel = (ctx: AppContext, next: Next): Promise<void> => {
    ctx.state.auditLevel = 'data';
    return next();
  };
  routers.router.post('/mcp', dataLevel, bearerChallenge, routers.protectedGuard, async (ctx) => {
    const caller = authOf(ctx);
    const parsed = mcpBody.safeParse(ctx.request.body);
    if (!parsed.success)
      throw new ValidationError('Body must be a JSON-RPC 2.0 message (or a batch of them)', [
        { path: 'body', message: parsed.error.issues[0]?.message ?? 'invalid' },
      ]);
    const version = ctx.get('MCP-Protocol-Version');
    if (version && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      throw new ValidationError(`Unsupported MCP-Protocol-Version ${version}; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`);
    }
    const server = createMcpServer(
      registry,
      { caller, services: routers.services, deps, signal: abortOnClose(ctx), requestId: ctx.state.requestId, remote: ctx.request.ip },
      validator,
    );
    const body = parsed.data;
    if (!Array.isArray(body) && isJSONRPCRequest(body) && body.method === 'tools/call') {
      // One tool call (what agents send most): the same server answers it through a transport
      // that only carries that request and its answer (~2 ms less per call than the web-standard
      // transport's Request/Response round; same JSON on the wire). Everything else
      // (initialize, tools/list, batches, notifications) goes through the SDK's transport below.
      const single = new SingleCallTransport();
      try {
        await server.connect(single);
        const answer = await single.dispatch(body);
        ctx.type = 'application/json';
        ctx.body = JSON.stringify(answer);
        ctx.status = 200;
      } finally {
        await server.close();
      }
      return;
    }
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    try {
      await server.connect(transport);
      // The SDK's web-standard transport gets the already authenticated and parsed message and
      // answers a Response that Koa sends like any other body (security headers, request id,
      // audit outcome). Its Node wrapper (a Request/Response bridge over the raw socket) cost ~10 ms
      // per call here, 20 times this path. We only answer JSON, so a client (or curl) that does not
      // announce both types in Accept still gets it.
      const headers = new Headers({ accept: 'application/json, text/event-stream', 'content-type': 'application/json' });
      if (version) headers.set('mcp-protocol-version', version);
      const response = await transport.handleRequest(new Request(`http://cco.local${MCP_SPEC.path}`, { method: 'POST', headers }), { parsedBody: body });
      const text = await response.text();
      if (response.status >= 400) {
        // The transport's own refusals are JSON-RPC bodies; every non-2xx here is the contract's error.
        const rpc = JSON.parse(text || '{}') as { error?: { message?: string } };
        throw new ValidationError(`MCP request refused: ${rpc.error?.message ?? `HTTP ${response.status}`}`);
      }
      ctx.type = 'application/json';
      // A null body makes Koa answer 204, so the status (202 for an accepted notification) comes after.
      ctx.body = text === '' ? null : text;
      ctx.status = response.status;
    } finally {
      await server.close();
    }
  });
};
