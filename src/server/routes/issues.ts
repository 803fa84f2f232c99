import {
  ISSUES_DEFAULT_LIMIT,
  ISSUES_MAX_LIMIT,
  deleteIssueResponse,
  issueHistorySchema,
  issueIdParams,
  issuePageSchema,
  issueSchema,
  listIssuesQuery,
  putIssueBody,
} from '../../contract/issues.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';
import { authOf } from '../permissions.js';

/**
 * Issues (spec §6): `PUT/GET/DELETE /api/issues/:issue_id`, `GET /api/issues`, and the revision
 * history of one issue. Doors onto the issues service. The protected guard already refuses a
 * foreign project and, through `:issue_id`, another issue of an issue-scoped token.
 */
export const issueRoutes: RouteModule = (routers) => {
  const { issues } = routers.services;

  defineRoute(
    routers,
    {
      method: 'put',
      path: '/api/issues/:issue_id',
      tag: 'issues',
      permission: 'manage_issues',
      params: issueIdParams,
      body: putIssueBody,
      summary:
        'Create or replace an issue (title 1..300 chars, description and acceptance < 64 KiB, ≤ 32 labels, ≤ 200 files); publishes issue_updated on topic coordination',
      responses: {
        201: { description: 'Created (revision 1, or the next one after a delete)', schema: issueSchema },
        200: { description: 'Updated (revision + 1), or unchanged when the text is the same (same revision, no event)', schema: issueSchema },
        400: { description: 'REQ_001 with field paths; a text of 64 KiB or more is refused, not cut' },
        403: { description: 'AUTH_003: manage_issues missing, another project or issue' },
        507: { description: 'STR_001: disk full' },
      },
    },
    async (ctx, { params, body }) => {
      const answer = await issues.put(authOf(ctx), params.issue_id, body);
      ctx.status = answer.status;
      return answer.issue;
    },
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/issues/:issue_id',
      tag: 'issues',
      params: issueIdParams,
      summary: 'One issue (read_context)',
      responses: { 200: { description: 'The issue', schema: issueSchema }, 404: { description: 'NOT_FOUND: unknown or deleted' } },
    },
    (ctx, { params }) => issues.get(authOf(ctx), params.issue_id),
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/issues/:issue_id/revisions',
      tag: 'issues',
      params: issueIdParams,
      summary: 'Every stored revision of an issue, oldest first; a deletion is a revision with deleted_at (read_context)',
      responses: { 200: { description: 'The revisions', schema: issueHistorySchema }, 404: { description: 'NOT_FOUND: the issue never existed' } },
    },
    (ctx, { params }) => issues.history(authOf(ctx), params.issue_id),
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/api/issues',
      tag: 'issues',
      query: listIssuesQuery,
      summary: `List issues in issue id order, optionally with one label; page with next_cursor (limit default ${ISSUES_DEFAULT_LIMIT}, max ${ISSUES_MAX_LIMIT}) (read_context)`,
      responses: { 200: { description: 'A page of issues; next_cursor is null on the last page', schema: issuePageSchema } },
    },
    (ctx, { query }) => issues.list(authOf(ctx), query),
  );

  defineRoute(
    routers,
    {
      method: 'delete',
      path: '/api/issues/:issue_id',
      tag: 'issues',
      permission: 'manage_issues',
      params: issueIdParams,
      summary: 'Delete an issue (its revisions are kept); publishes issue_updated with action deleted',
      responses: { 200: { description: 'Deleted', schema: deleteIssueResponse }, 404: { description: 'NOT_FOUND: unknown or already deleted' } },
    },
    (ctx, { params }) => issues.delete(authOf(ctx), params.issue_id),
  );
};
