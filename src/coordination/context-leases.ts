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
 * @example body = await withLeasedBy(body, leases, auth.sub)
 */
export async function withLeasedBy<T extends WithRelevantFiles>(body: T, leases: LeaseService | undefined, viewer: string | undefined): Promise<T> {
  const files = body.context?.relevant_files;
  if (!leases || !files || files.length === 0 || !leases.mayHoldAny) return body;
  let changed = false;
  const annotated = await Promise.all(
    files.map(async (f) => {
      const by: LeasedBy | null = await leases.leasedBy(f.path, viewer);
      if (!by) return f;
      changed = true;
      return { ...f, leased_by: by };
    }),
  );
  if (!changed) return body;
  return { ...body, context: { ...body.context, relevant_files: annotated } };
}
