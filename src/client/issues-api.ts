import type { SidecarClient } from './sidecar-client.js';
import type { WireQuery } from './wire-query.js';
import type {
  DeleteIssueResponse,
  IssueBody,
  IssueHistoryBody,
  IssuePageBody,
  ListIssuesQuery as ListIssuesWireQuery,
  PutIssueRequest,
} from '../contract/issues.js';

/** The wire types of the issue endpoints (spec §6): inferred from the contract schemas. */
export type { DeleteIssueResponse, PutIssueRequest } from '../contract/issues.js';
export type Issue = IssueBody;
export type IssuePage = IssuePageBody;
export type IssueHistory = IssueHistoryBody;
export type ListIssuesQuery = WireQuery<ListIssuesWireQuery>;

/** What `PUT /api/issues/:id` did: created (201) or updated / unchanged (200). */
export interface PutIssueResult {
  created: boolean;
  issue: Issue;
}

const issuePath = (issueId: string): string => `/api/issues/${encodeURIComponent(issueId)}`;

/**
 * Issue calls of the typed client.
 *
 * @example const { created, issue } = await putIssue(client, 'ISSUE-1', { title: 'Fix login', labels: ['auth'] })
 */
export async function putIssue(client: SidecarClient, issueId: string, body: PutIssueRequest): Promise<PutIssueResult> {
  let status = 0;
  const issue = await client.request<Issue>('PUT', issuePath(issueId), {
    body,
    onStatus: (s) => {
      status = s;
    },
  });
  return { created: status === 201, issue };
}

export function getIssue(client: SidecarClient, issueId: string): Promise<Issue> {
  return client.request<Issue>('GET', issuePath(issueId));
}

/** Every stored revision, oldest first (a deletion is a revision with `deleted_at`). */
export function getIssueRevisions(client: SidecarClient, issueId: string): Promise<IssueHistory> {
  return client.request<IssueHistory>('GET', `${issuePath(issueId)}/revisions`);
}

export function listIssues(client: SidecarClient, query: ListIssuesQuery = {}): Promise<IssuePage> {
  return client.request<IssuePage>('GET', '/api/issues', { query: { ...query } });
}

export function deleteIssue(client: SidecarClient, issueId: string): Promise<DeleteIssueResponse> {
  return client.request<DeleteIssueResponse>('DELETE', issuePath(issueId));
}
