import type { z } from 'zod';
import type { Permission } from '../auth/permissions.js';
import type { AuthInfo } from '../auth/token-service.js';
import type { AppDeps } from '../server/app-deps.js';
import type { AuditLevel } from '../server/app-types.js';
import type { Services } from '../services/index.js';

/** What a tool's `run` gets besides its input: the verified caller and the sidecar's components. */
export interface ToolContext {
  /** The claims of the token that made the `/mcp` request (never a tool argument). */
  caller: AuthInfo;
  /** The domain services the HTTP routes call: a tool is validate → call one service → answer. */
  services: Services;
  /** Config, logger and audit log of the sidecar. */
  deps: AppDeps;
  /** Aborted when the client goes away (long waits free their slot at once). */
  signal: AbortSignal;
  /** The HTTP request id of the `/mcp` call, for audit lines. */
  requestId: string;
  remote: string;
}

/**
 * One MCP tool: its stable name (spec §7), an LLM-facing description, the permission that lists
 * it, its input schema (built from the zod schemas the HTTP route validates with) and `run`,
 * which calls the same domain code as that route and returns the route's JSON body.
 *
 * @example
 * defineTool({ name: 'get_result', title: 'Get one result', description: '…', permission: 'read_results',
 *   input: z.object({ id: resultIdSchema }), readOnly: true,
 *   run: ({ caller, services }, { id }) => services.results.get(caller, id), summary: (out) => `result ${out.id}` })
 */
export interface ToolDefinition<S extends z.ZodType = z.ZodType, O = unknown> {
  name: string;
  title: string;
  description: string;
  /**
   * The tool is listed (and callable) when the token holds ANY of these (admin implies all).
   * `null`: every token (the service still decides, e.g. an agent reading its own status).
   */
  permission: Permission | readonly Permission[] | null;
  input: S;
  /**
   * Claims filled into absent arguments before validation (`issue_id`, `agent_type`, …):
   * argument name → claim name.
   */
  claimDefaults?: Readonly<Record<string, 'issue_id' | 'agent_type' | 'sub'>>;
  /**
   * The input schema is the HTTP route's query schema, whose values arrive as strings: numbers and
   * booleans a model sends are passed as their strings, exactly as they would be in a URL.
   */
  queryInput?: boolean;
  /** Does not change state (shown to clients as `readOnlyHint`). */
  readOnly: boolean;
  /**
   * How a state-changing call is audited, as its HTTP route is (see `AuditLevel`): `control` (the
   * default) writes an intent line, awaited, before `run`; `data` (publish, store a result, renew a
   * lease) writes only the outcome line. Either way the outcome line follows.
   */
  audit?: AuditLevel;
  /** Removes or stops something (`destructiveHint`). */
  destructive?: boolean;
  run(ctx: ToolContext, input: z.output<S>): Promise<O> | O;
  /** One short line for humans, next to the structured JSON. */
  summary(output: O, input: z.output<S>): string;
}

/** Identity helper that keeps the input and output types of a tool tied together. */
export function defineTool<S extends z.ZodType, O>(tool: ToolDefinition<S, O>): ToolDefinition {
  return tool;
}
