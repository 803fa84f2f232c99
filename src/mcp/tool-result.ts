import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AppError } from '../errors/index.js';
import { contractErrorBody } from '../server/contract-error.js';

/**
 * A successful tool answer: `structuredContent` is exactly the JSON the HTTP route answers; the
 * content blocks carry a one-line summary and the same JSON as text, because clients that predate
 * structured content (and some that show only text to the model) read only `content`.
 */
export function toolSuccess(summary: string, output: unknown): CallToolResult {
  const structured = (output !== null && typeof output === 'object' && !Array.isArray(output) ? output : { value: output }) as Record<string, unknown>;
  return {
    content: [
      { type: 'text', text: summary },
      { type: 'text', text: JSON.stringify(structured) },
    ],
    structuredContent: structured,
  };
}

/**
 * A contract error as a tool error (`isError: true`), not a JSON-RPC error: the model sees the
 * code (`AUTH_003`, `EVT_003`, …) and message and can act on them, and the session stays usable.
 * `structuredContent` is the contract's error body, as the HTTP route would answer it.
 */
export function toolError(err: AppError, requestId: string): CallToolResult {
  const body = contractErrorBody(err, requestId);
  return {
    isError: true,
    content: [
      { type: 'text', text: `${err.code} (${err.status} ${err.error}): ${err.message}` },
      { type: 'text', text: JSON.stringify(body) },
    ],
    structuredContent: body,
  };
}
