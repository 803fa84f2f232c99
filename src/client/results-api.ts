import type { SidecarClient } from './sidecar-client.js';
import type { ResultEnvelope, ResultPayload, ResultStatus } from '../results/result-store.js';
import type { NextAgent } from '../results/workflow-rules.js';

export type { ResultEnvelope, ResultPayload, ResultStatus, NextAgent };

/** Body of `POST /api/results` (spec §4). */
export interface StoreResultRequest {
  agent_id: string;
  agent_type: string;
  issue_id: string;
  project_id?: string;
  result: ResultPayload;
  timestamp?: string;
}

/** 201 answer of `POST /api/results`. */
export interface StoreResultResponse {
  id: string;
  stored: true;
  storage_path: string;
  next_agents: NextAgent[];
  event_published: boolean;
  event_id: string | null;
  timestamp: string;
}

/** Query of `GET /api/results`. */
export interface ListResultsQuery {
  issue_id?: string;
  agent_type?: string;
  project_id?: string;
  status?: ResultStatus;
  since?: string;
  until?: string;
  latest?: boolean;
  limit?: number;
  cursor?: string;
}

export interface ResultsPage {
  results: ResultEnvelope[];
  next_cursor: string | null;
}

/**
 * Result calls of the typed client, kept beside `SidecarClient` so each resource adds its own file.
 *
 * @example const { id, next_agents } = await storeResult(client, { agent_id, agent_type, issue_id, result: { status: 'success' } })
 */
export function storeResult(client: SidecarClient, body: StoreResultRequest): Promise<StoreResultResponse> {
  return client.request<StoreResultResponse>('POST', '/api/results', { body });
}

export function listResults(client: SidecarClient, query: ListResultsQuery = {}): Promise<ResultsPage> {
  return client.request<ResultsPage>('GET', '/api/results', { query: { ...query } });
}

export function getResult(client: SidecarClient, id: string): Promise<ResultEnvelope> {
  return client.request<ResultEnvelope>('GET', `/api/results/${encodeURIComponent(id)}`);
}
