import { z } from 'zod';
import { hasPermission } from '../auth/permissions.js';
import type { AuthInfo } from '../auth/token-service.js';
import { ContextGenerationError, ForbiddenError } from '../errors/index.js';
import { requireAgentTypeScope, requireIssueScope, requireProjectScope } from '../server/permissions.js';
import { safeId } from '../util/ids.js';
import type { ContextService } from './context-service.js';
import type { ContextResponse } from './context-types.js';

export const contextParams = z.object({ issue_id: safeId, agent_type: safeId });

/** Query values arrive as strings (or arrays when repeated, which the schemas reject). */
const intString = z.string().regex(/^\d{1,12}$/, 'must be a positive integer').transform(Number);
/** `GET /api/context/:issue_id/:agent_type` query (the `get_context` tool takes the same fields). */
export const contextQuery = z.object({
  // The 10 MiB cap is checked by the service: above it the answer is 413 CTX_002, not 400.
  max_bytes: intString.refine((n) => n >= 1, 'must be at least 1').optional(),
  max_files: intString.refine((n) => n >= 1 && n <= 1000, 'must be from 1 to 1000').optional(),
  strategy: z.enum(['smart', 'file_sampling', 'none']).optional(),
  q: z.string().max(512).optional(),
  refresh: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1').optional(),
});

/**
 * Who may read which context (spec §2), for the HTTP route and the `get_context` tool alike:
 * `read_context` for the token's own agent type, `read_project_context` for any type; the
 * token's project and issue scope apply.
 */
export class ContextAccess {
  constructor(private readonly engine: () => ContextService | undefined, private readonly projectId: string) {}

  service(): ContextService {
    const engine = this.engine();
    if (!engine) throw new ContextGenerationError('The context engine is not running');
    return engine;
  }

  get(caller: AuthInfo, params: z.output<typeof contextParams>, query: z.output<typeof contextQuery>): Promise<ContextResponse> {
    if (!hasPermission(caller.permissions, 'read_context') && !hasPermission(caller.permissions, 'read_project_context')) {
      throw new ForbiddenError("Missing permission 'read_context'", { required: 'read_context' });
    }
    requireProjectScope(caller, this.projectId);
    requireIssueScope(caller, params.issue_id);
    requireAgentTypeScope(caller, params.agent_type, 'read_project_context');
    return this.service().getContext({ issue_id: params.issue_id, agent_type: params.agent_type, ...query });
  }
}
