import type { SidecarClient } from './sidecar-client.js';
import type { WireQuery } from './wire-query.js';
import type {
  ListResultsQuery as ListResultsWireQuery,
  ResultEnvelopeBody,
  ResultPageBody,
  StoreResultRequest,
  StoreResultResponse,
} from '../contract/results.js';

export type { ResultPayload, ResultStatus } from '../results/result-store.js';
export type { NextAgent } from '../results/workflow-rules.js';

/** The wire types of the results endpoints: inferred from the contract schemas. */
export type { StoreResultRequest, StoreResultResponse } from '../contract/results.js';
/** Query of `GET /api/results` as a client passes it. */
export type ListResultsQuery = WireQuery<ListResultsWireQuery>;
export type ResultsPage = ResultPageBody;
export type ResultEnvelope = ResultEnvelopeBody;

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
