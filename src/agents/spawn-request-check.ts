import { ValidationError } from '../errors/index.js';
import { isSafeId } from '../util/ids.js';
import type { SpawnRequest } from './types.js';

const MAX_TASK_BYTES = 64 * 1024;

/**
 * Defence in depth: the contract schema checks the same at the edge, but the supervisor is a
 * public API (MCP tools, embedding code). Throws 400 REQ_001 with field paths.
 */
export function checkSpawnRequestShape(request: SpawnRequest): void {
  const issues: Array<{ path: string; message: string }> = [];
  if (!isSafeId(request.agent_type)) issues.push({ path: 'body.agent_type', message: 'must be a safe id' });
  if (!isSafeId(request.issue_id)) issues.push({ path: 'body.issue_id', message: 'must be a safe id' });
  if (typeof request.task !== 'string' || request.task.length === 0) issues.push({ path: 'body.task', message: 'required' });
  else if (request.task.includes('\0')) issues.push({ path: 'body.task', message: 'must not contain a NUL character' });
  else if (Buffer.byteLength(request.task) > MAX_TASK_BYTES) issues.push({ path: 'body.task', message: `longer than ${MAX_TASK_BYTES} bytes` });
  for (const [i, r] of (request.context_requirements ?? []).entries()) {
    if (typeof r !== 'string' || r.includes('\0')) issues.push({ path: `body.context_requirements.${i}`, message: 'must be a string without NUL' });
  }
  if (issues.length > 0) throw new ValidationError(`Invalid spawn request: ${issues[0]?.path} ${issues[0]?.message}`, issues);
}
