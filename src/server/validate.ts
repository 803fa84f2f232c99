import type { z } from 'zod';
import { ValidationError } from '../errors/index.js';

/** Where the input came from; `arguments` are the arguments of an MCP tool call. */
export type InputLocation = 'body' | 'query' | 'params' | 'arguments';

/**
 * Validate request input at the edge. Handlers receive typed, already-valid values; a failure is
 * a 400 REQ_001 whose `details.issues` lists field paths such as `body.result.status`.
 *
 * @example const q = parseInput(waitQuerySchema, ctx.query, 'query')
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: InputLocation): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 50).map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  throw new ValidationError(first ? `Invalid ${where}: ${first.path} ${first.message}` : `Invalid ${where}`, issues);
}
