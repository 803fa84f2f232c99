import type { SidecarClient } from './sidecar-client.js';
import type { AcquireInput, CreateGateInput, GateView, LeaseListFilter, LeaseView } from '../coordination/coordination-types.js';

export type { AcquireInput, CreateGateInput, GateView, LeaseListFilter, LeaseView };

export interface LeaseList {
  leases: LeaseView[];
  total: number;
  timestamp: string;
}

export interface GateList {
  gates: GateView[];
  total: number;
  timestamp: string;
}

/**
 * Lease and gate calls of the typed client (spec §8). A conflict throws `SidecarError` with code
 * `LSE_001` and `body.details.conflicts`.
 *
 * @example
 * const lease = await acquireLease(client, { paths: ['src/app.ts'], ttl_seconds: 300, wait_ms: 10_000 });
 * // … write, passing lease.fencing_token to whatever applies the write …
 * await releaseLease(client, lease.lease_id);
 */
export function acquireLease(client: SidecarClient, body: AcquireInput, options: { signal?: AbortSignal } = {}): Promise<LeaseView> {
  // A queued request may take wait_ms: give the HTTP call that long plus a margin.
  const signal = options.signal ?? AbortSignal.timeout((body.wait_ms ?? 0) + 30_000);
  return client.request<LeaseView>('POST', '/api/leases', { body, signal });
}

export function renewLease(client: SidecarClient, leaseId: string, ttlSeconds?: number): Promise<LeaseView> {
  return client.request<LeaseView>('POST', `/api/leases/${encodeURIComponent(leaseId)}/renew`, {
    body: ttlSeconds === undefined ? {} : { ttl_seconds: ttlSeconds },
  });
}

export function releaseLease(client: SidecarClient, leaseId: string): Promise<LeaseView & { released_at: string }> {
  return client.request('DELETE', `/api/leases/${encodeURIComponent(leaseId)}`);
}

export function getLease(client: SidecarClient, leaseId: string): Promise<LeaseView> {
  return client.request<LeaseView>('GET', `/api/leases/${encodeURIComponent(leaseId)}`);
}

export function listLeases(client: SidecarClient, filter: LeaseListFilter = {}): Promise<LeaseList> {
  return client.request<LeaseList>('GET', '/api/leases', { query: { ...filter } });
}

export function createGate(client: SidecarClient, body: CreateGateInput): Promise<GateView> {
  return client.request<GateView>('POST', '/api/gates', { body });
}

export function getGate(client: SidecarClient, gateId: string): Promise<GateView> {
  return client.request<GateView>('GET', `/api/gates/${encodeURIComponent(gateId)}`);
}

/** Long-poll until the gate is open or expired, or `timeoutMs` passes (`timeout: true`). */
export function waitGate(client: SidecarClient, gateId: string, timeoutMs = 30_000): Promise<GateView & { timeout?: true }> {
  return client.request('GET', `/api/gates/${encodeURIComponent(gateId)}/wait`, {
    query: { timeout: timeoutMs },
    signal: AbortSignal.timeout(timeoutMs + 30_000),
  });
}

export function listGates(client: SidecarClient, filter: { issue_id?: string; state?: string } = {}): Promise<GateList> {
  return client.request<GateList>('GET', '/api/gates', { query: { ...filter } });
}
