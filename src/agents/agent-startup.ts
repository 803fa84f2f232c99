import { checkAgentConfig } from './agent-commands.js';
import { recoverAgents, type RecoveryReport } from './agent-recovery.js';
import { FINAL_STATUSES } from './types.js';
import type { SupervisorState } from './supervisor-state.js';

/**
 * Load the registry and recover from a previous run (see `recoverAgents`: live orphans of a
 * crashed sidecar are terminated, recycled pids never signalled, and those entries become
 * `lost`), then prune old history. Spawning is refused until this has run.
 */
export async function startSupervisor(s: SupervisorState): Promise<RecoveryReport> {
  const problems = checkAgentConfig(s.config.agents);
  if (problems.length > 0) throw new Error(`Invalid agents configuration:\n  ${problems.join('\n  ')}`);
  await s.store.init();
  const { records, skipped } = await s.store.loadAll();
  for (const rec of records) s.records.set(rec.agent_id, rec);
  const { changed, counts } = await recoverAgents(records, s.graceMs);
  for (const rec of changed) {
    await s.store.removeContextFile(rec.agent_id).catch(() => undefined);
    await s.persist(rec);
    s.agentEnded(rec);
  }
  const report: RecoveryReport = { lost: changed.length, ...counts, skipped: skipped.length, pruned: await pruneHistory(s) };
  s.retentionTimer = setInterval(() => void pruneHistory(s).catch(() => undefined), 3_600_000);
  s.retentionTimer.unref();
  s.started = true;
  if (changed.length > 0 || skipped.length > 0) s.log.warn({ ...report }, 'agents recovered after restart');
  return report;
}

/** Remove finished agents (state and logs) older than `agent_history_days`. */
export async function pruneHistory(s: SupervisorState): Promise<number> {
  const cutoff = Date.now() - s.config.agent_history_days * 86_400_000;
  let pruned = 0;
  for (const rec of [...s.records.values()]) {
    if (!FINAL_STATUSES.has(rec.status)) continue;
    const at = Date.parse(rec.ended_at ?? rec.created_at);
    if (Number.isFinite(at) && at < cutoff) {
      s.records.delete(rec.agent_id);
      await s.store.remove(rec.agent_id);
      s.forget(rec.agent_id);
      pruned += 1;
    }
  }
  return pruned;
}
