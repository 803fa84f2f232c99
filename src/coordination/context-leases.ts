import type { LeasedBy } from './coordination-types.js';
import type { LeaseService } from './lease-service.js';

interface WithRelevantFiles {
  context?: { relevant_files?: ReadonlyArray<{ path: string }> } | null;
}

/**
 * `relevant_files[].leased_by` (spec §8): marks each file under another holder's live lease.
 * Applied to a copy after the context cache, since leases change far faster than cached contexts
 * (the cached object itself is never touched).
 *
 * @example body = withLeasedBy(body, leases, auth.sub)
 */
export function withLeasedBy<T extends WithRelevantFiles>(body: T, leases: LeaseService | undefined, viewer: string | undefined): T {
  const files = body.context?.relevant_files;
  if (!leases || !files || files.length === 0 || leases.liveCount === 0) return body;
  let changed = false;
  const annotated = files.map((f) => {
    const by: LeasedBy | null = leases.leasedBy(f.path, viewer);
    if (!by) return f;
    changed = true;
    return { ...f, leased_by: by };
  });
  if (!changed) return body;
  return { ...body, context: { ...body.context, relevant_files: annotated } };
}
