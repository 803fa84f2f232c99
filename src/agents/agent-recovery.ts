import { readBootId } from './proc-stat.js';
import { groupAlive, identifyGroup, signalGroup, waitGroupGone, type ProcessIdentity } from './process-group.js';
import type { AgentRecord } from './types.js';

export interface RecoveryReport {
  /** Registry entries found still `running`/`queued` and marked `lost`. */
  lost: number;
  /** Of those, how many still had live processes that were terminated. */
  orphans_killed: number;
  /** Entries left alone because their pid now belongs to someone else. */
  pid_recycled: number;
  /** Directories without a readable state. */
  skipped: number;
  /** Finished agents removed by retention. */
  pruned: number;
}

/**
 * After a crash of the sidecar (kill -9), entries still `running` are checked by pid + start
 * time + boot id. A match means the agent outlived its sidecar: it is terminated (SIGTERM to its
 * group, SIGKILL after the grace) rather than adopted, because its pipes to the old sidecar are
 * gone (its logs and exit status cannot be collected) and nobody supervises its timeout. A
 * mismatch means the pid was recycled, or the machine rebooted: nothing is signalled. Either way
 * the entry becomes `lost`. Queued entries (the queue lived in memory) become `lost` too.
 *
 * Mutates the given records; returns those it changed. Resolves once the orphans are gone.
 */
export async function recoverAgents(
  records: Iterable<AgentRecord>,
  graceMs: number,
): Promise<{
  changed: AgentRecord[];
  counts: Pick<RecoveryReport, 'orphans_killed' | 'pid_recycled'>;
}> {
  const counts = { orphans_killed: 0, pid_recycled: 0 };
  const orphans: ProcessIdentity[] = [];
  const changed: AgentRecord[] = [];
  const now = new Date().toISOString();
  const boot = readBootId();
  for (const rec of records) {
    if (rec.status !== 'running' && rec.status !== 'queued') continue;
    if (rec.status === 'running' && rec.process_id !== null) {
      const identity: ProcessIdentity = { pid: rec.process_id, startTicks: rec.process_start_ticks, bootId: rec.boot_id };
      const state = identifyGroup(identity);
      if (rec.boot_id !== null && boot !== null && rec.boot_id !== boot) {
        // The machine restarted since: none of that boot's processes can be alive.
        rec.reason = 'machine_rebooted';
      } else if (state === 'recycled') {
        rec.reason = 'process_gone_pid_recycled';
        counts.pid_recycled += 1;
      } else if (state === 'unknown') {
        rec.reason = 'process_unverifiable';
      } else if (groupAlive(identity) && signalGroup(identity, 'SIGTERM')) {
        orphans.push(identity);
        rec.reason = 'orphan_terminated_after_sidecar_crash';
        counts.orphans_killed += 1;
      } else {
        rec.reason = 'process_gone_after_sidecar_crash';
      }
    } else {
      rec.reason = 'sidecar_restarted_before_start';
    }
    rec.status = 'lost';
    rec.ended_at = now;
    changed.push(rec);
  }
  await reapForeignGroups(orphans, graceMs);
  return { changed, counts };
}

/** SIGTERM was sent; wait the grace, then SIGKILL whatever is left (processes we cannot wait() for). */
async function reapForeignGroups(groups: ProcessIdentity[], graceMs: number): Promise<void> {
  if (groups.length === 0) return;
  const gone = await Promise.all(groups.map((g) => waitGroupGone(g, graceMs, 50)));
  const survivors = groups.filter((_, i) => !gone[i]);
  for (const g of survivors) signalGroup(g, 'SIGKILL');
  await Promise.all(survivors.map((g) => waitGroupGone(g, 5_000, 50)));
}
