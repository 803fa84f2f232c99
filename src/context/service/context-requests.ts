import { ContextBudgetError, ContextGenerationError } from '../../errors/index.js';
import type { Strategy } from '../ranking/budget.js';
import { MAX_CONTEXT_BYTES_CAP } from './context-config.js';
import type { ContextRequest, ContextResponse } from './context-types.js';
import type { IssueRecord } from '../../issues/issue-record.js';
import type { ContextState } from './context-state.js';
import type { ContextLifecycle } from './context-lifecycle.js';
import { buildEntry, gitSettled, storable, type BuildParams } from './context-build.js';
import { assembleResponse } from './context-response.js';

/** One request's path: validate, freshen the index and git, look up the cache, build on a miss, answer. */
export class ContextRequests {
  constructor(
    private readonly s: ContextState,
    private readonly lifecycle: ContextLifecycle,
  ) {}

  async getContext(req: ContextRequest): Promise<ContextResponse> {
    // Counted so the background worker warm-up stays out of a waiting request's way.
    this.s.requestsInFlight++;
    try {
      return await this.answer(req);
    } finally {
      this.s.requestsInFlight--;
    }
  }

  private async answer(req: ContextRequest): Promise<ContextResponse> {
    const s = this.s;
    const t0 = performance.now();
    let params = this.validate(req);
    await this.lifecycle.start();
    if (s.closed) throw new ContextGenerationError('Context engine is shutting down');
    await this.lifecycle.ensureFresh();
    // HEAD/index first (cheap; a commit or checkout starts a new epoch and drops the cache).
    await this.gitCheck();
    const profile = params.profile;
    // The issue's revision is part of the key: updating an issue refreshes its contexts.
    const issue = await this.issueFor(params.issueId);
    params = { ...params, key: `${params.key}\0r${issue?.revision ?? 0}` };
    if (!params.refresh) {
      const hit = s.cache.get(params.key);
      if (hit && hit.gitEpoch === s.gitEpoch) {
        s.cache.hits++;
        return assembleResponse(s, hit, await gitSettled(s), true, t0);
      }
    }
    s.cache.misses++;
    if (params.refresh) s.cache.markInflightStale(params.issueId);
    const { value } = await s.cache.singleFlight(
      params.key,
      params.issueId,
      () => buildEntry(s, params, profile, issue),
      (v) => storable(s, v),
    );
    return assembleResponse(s, value, await gitSettled(s), false, t0);
  }

  private validate(req: ContextRequest): BuildParams {
    const s = this.s;
    // The request's shape was validated at the edge (src/contract/context.ts); the cap is the
    // engine's own invariant (413 CTX_002, not a 400).
    if (req.max_bytes !== undefined && req.max_bytes > MAX_CONTEXT_BYTES_CAP) throw new ContextBudgetError(req.max_bytes, MAX_CONTEXT_BYTES_CAP);
    const profile = s.profileFor(req.agent_type);
    const maxBytes = req.max_bytes ?? profile.maxBytes ?? s.cfg.default_max_bytes;
    const maxFiles = req.max_files ?? profile.maxFiles ?? s.cfg.default_max_files;
    const strategy: Strategy = req.strategy ?? 'smart';
    const q = (req.q ?? '').trim();
    const key = [s.projectId, req.issue_id, req.agent_type, maxBytes, maxFiles, strategy, q].join('\0');
    return { key, issueId: req.issue_id, agentType: req.agent_type, maxBytes, maxFiles, strategy, q, refresh: req.refresh === true, profile };
  }

  private async gitCheck(): Promise<void> {
    try {
      await this.s.git.checkState(this.s.watching() ? undefined : this.s.cfg.ttl_ms);
    } catch (err) {
      this.s.logger.warn({ err }, 'git context unavailable');
    }
  }

  /** The issue from the registry (null when unknown, or when the registry fails: logged). */
  private async issueFor(issueId: string): Promise<IssueRecord | null> {
    if (!this.s.deps.issues) return null;
    try {
      return await this.s.deps.issues(this.s.projectId, issueId);
    } catch (err) {
      this.s.logger.warn({ err }, 'issue registry unavailable: context ranked without the issue');
      return null;
    }
  }
}
