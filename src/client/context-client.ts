import type { CacheClearedResponse, ContextResponseBody, STRATEGIES } from '../contract/context.js';
import { SidecarError, type SidecarClient } from './sidecar-client.js';

/** The 200 body of `GET /api/context/…`: inferred from the contract schema. */
export type ContextResponse = ContextResponseBody;
type Strategy = (typeof STRATEGIES)[number];

export interface GetContextOptions {
  max_bytes?: number;
  max_files?: number;
  strategy?: Strategy;
  q?: string;
  refresh?: boolean;
  signal?: AbortSignal;
}

/** `DELETE /api/cache/...` answer (contract schema); `cleared: false` when nothing was cached (HTTP 404). */
export type ClearCacheResponse = Omit<CacheClearedResponse, 'cleared'> & { cleared: boolean };

/**
 * Typed client for the context routes (spec §4).
 *
 * @example
 * const ctx = await new ContextClient(client).get('ISSUE-1', 'python-specialist', { max_bytes: 262144 })
 */
export class ContextClient {
  constructor(private readonly client: SidecarClient) {}

  get(issueId: string, agentType: string, options: GetContextOptions = {}): Promise<ContextResponse> {
    const { signal, refresh, ...query } = options;
    return this.client.request<ContextResponse>('GET', `/api/context/${encodeURIComponent(issueId)}/${encodeURIComponent(agentType)}`, {
      query: { ...query, ...(refresh ? { refresh: 'true' } : {}) },
      ...(signal ? { signal } : {}),
    });
  }

  clearIssue(issueId: string): Promise<ClearCacheResponse> {
    return this.clear(`/api/cache/context/${encodeURIComponent(issueId)}`);
  }

  clearAll(): Promise<ClearCacheResponse> {
    return this.clear('/api/cache/all');
  }

  private async clear(path: string): Promise<ClearCacheResponse> {
    try {
      return await this.client.request<ClearCacheResponse>('DELETE', path);
    } catch (err) {
      // 404 means "nothing was cached": an answer, not a failure, for an idempotent clear.
      if (err instanceof SidecarError && err.status === 404 && err.code === 'NOT_FOUND') {
        return { cleared: false, entries_removed: 0, bytes_freed: 0, timestamp: new Date().toISOString() };
      }
      throw err;
    }
  }
}
