import { z } from 'zod';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { hasPermission, type Permission } from '../auth/permissions.js';
import type { AuthInfo } from '../auth/token-service.js';
import { outcomeOfStatus } from '../audit/audit-entry.js';
import { AppError, ForbiddenError } from '../errors/index.js';
import { toAppError } from '../server/middleware/error-handler.js';
import { parseInput } from '../server/validate.js';
import type { ToolContext, ToolDefinition } from './tool-definition.js';
import { toolError, toolSuccess } from './tool-result.js';

type JsonObject = Record<string, unknown>;

interface RegisteredTool {
  definition: ToolDefinition;
  permissions: readonly Permission[];
  /** The MCP `Tool` entry, computed once: a `tools/list` answer only filters. */
  listing: Tool;
}

/** The advertised JSON Schema: the zod input schema, with claim-defaulted fields optional. */
function inputJsonSchema(tool: ToolDefinition): Tool['inputSchema'] {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  const defaulted = new Set(Object.keys(tool.claimDefaults ?? {}));
  if (Array.isArray(schema.required)) {
    const required = (schema.required as string[]).filter((name) => !defaulted.has(name));
    if (required.length > 0) schema.required = required;
    else delete schema.required;
  }
  return { ...schema, type: 'object' };
}

/**
 * Every MCP tool the sidecar offers, keyed by name. A token sees (and may call) only the tools
 * its permissions allow; arguments are validated with the tool's zod schema (a failure is the
 * HTTP API's REQ_001), and every failure comes back as a tool error carrying its contract code.
 * Tool calls that change state are audited like the HTTP requests they mirror.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, RegisteredTool>();

  constructor(definitions: readonly ToolDefinition[]) {
    for (const definition of definitions) {
      if (this.tools.has(definition.name)) throw new Error(`Duplicate MCP tool '${definition.name}'`);
      const permissions = definition.permission === null ? [] : typeof definition.permission === 'string' ? [definition.permission] : definition.permission;
      this.tools.set(definition.name, {
        definition,
        permissions,
        listing: {
          name: definition.name,
          title: definition.title,
          description: definition.description,
          inputSchema: inputJsonSchema(definition),
          annotations: {
            title: definition.title,
            readOnlyHint: definition.readOnly,
            destructiveHint: definition.destructive ?? false,
            openWorldHint: false,
          },
        },
      });
    }
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  /** The tools this token may use (a tool it may not use is not listed). */
  listFor(caller: AuthInfo): Tool[] {
    return [...this.tools.values()].filter((tool) => this.allowed(tool, caller)).map((tool) => tool.listing);
  }

  /** Run a tool for a caller; never throws for a contract error (it becomes `isError: true`). */
  async call(name: string, args: JsonObject | undefined, ctx: ToolContext): Promise<CallToolResult> {
    const tool = this.tools.get(name);
    if (!tool) throw new Error(`Unknown tool '${name}'`);
    const { definition } = tool;
    try {
      if (!this.allowed(tool, ctx.caller)) {
        throw new ForbiddenError(`Missing permission '${tool.permissions.join("' or '")}' for tool ${name}`, { required: tool.permissions });
      }
      const given = definition.queryInput ? asQueryValues(args ?? {}) : (args ?? {});
      const input = parseInput(definition.input, withClaimDefaults(definition, given, ctx.caller), 'arguments');
      // The intent line the HTTP route writes before acting (the POST /mcp request itself is
      // audited at the data level: it names no tool, and most calls are reads or data writes).
      if (!definition.readOnly && definition.audit !== 'data') await this.auditIntent(ctx, name);
      const output = await definition.run(ctx, input);
      if (!definition.readOnly) this.audit(ctx, name, 200);
      return toolSuccess(definition.summary(output, input), output);
    } catch (err) {
      const appError = toAppError(err);
      if (!appError) {
        ctx.deps.logger.error({ err, tool: name, request_id: ctx.requestId }, 'MCP tool failed');
        const internal = new AppError(500, 'INTERNAL_ERROR', 'internal_error', 'Internal server error');
        this.audit(ctx, name, 500, internal.code);
        return toolError(internal, ctx.requestId);
      }
      if (!definition.readOnly || appError.status === 401 || appError.status === 403) this.audit(ctx, name, appError.status, appError.code);
      return toolError(appError, ctx.requestId);
    }
  }

  private allowed(tool: RegisteredTool, caller: AuthInfo): boolean {
    return tool.permissions.length === 0 || tool.permissions.some((p) => hasPermission(caller.permissions, p));
  }

  /** Fails (and so refuses the call) when the line cannot be written, as the HTTP route's intent line does. */
  private auditIntent(ctx: ToolContext, tool: string): Promise<void> {
    const { caller } = ctx;
    return ctx.deps.audit.record({
      request_id: ctx.requestId,
      sub: caller.sub,
      jti: caller.jti,
      agent_type: caller.agent_type,
      project_id: caller.project_id,
      remote: ctx.remote,
      action: `mcp.tool ${tool}`,
      resource: `/mcp#${tool}`,
      outcome: 'intent',
      status: null,
    });
  }

  /** One outcome line per state-changing tool call and per refusal (the POST /mcp lines name no tool). */
  private audit(ctx: ToolContext, tool: string, status: number, code?: string): void {
    const { caller } = ctx;
    ctx.deps.audit
      .record(
        {
          request_id: ctx.requestId,
          sub: caller.sub,
          jti: caller.jti,
          agent_type: caller.agent_type,
          project_id: caller.project_id,
          remote: ctx.remote,
          action: `mcp.tool ${tool}`,
          resource: `/mcp#${tool}`,
          outcome: outcomeOfStatus(status),
          status,
          ...(code ? { code } : {}),
        },
        { deferred: true },
      )
      .catch((err: unknown) => ctx.deps.logger.error({ err, request_id: ctx.requestId }, 'audit log write failed (MCP tool)'));
  }
}

/** `issue_id`, `agent_type`, … default to the token's claims when the caller leaves them out. */
function withClaimDefaults(tool: ToolDefinition, args: JsonObject, caller: AuthInfo): JsonObject {
  if (!tool.claimDefaults) return args;
  const filled: JsonObject = { ...args };
  for (const [arg, claim] of Object.entries(tool.claimDefaults)) {
    if (filled[arg] === undefined && caller[claim] !== undefined) filled[arg] = caller[claim];
  }
  return filled;
}

/** A URL query carries strings: a model's `10` or `true` becomes `"10"` / `"true"`. */
function asQueryValues(args: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(args)) {
    out[key] = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
  }
  return out;
}
