import type { AgentRecord, AgentStatsSnapshot, AgentView, SpawnRequest } from './types.js';

/** Where an agent's status is served (relative to the sidecar URL). */
export function webhookUrl(id: string): string {
  return `/api/agents/${id}/status`;
}

/** The public view of a record: internal process identity left out, uptime added. */
export function agentView(rec: AgentRecord): AgentView {
  const { process_start_ticks: _t, boot_id: _b, schema: _s, ...rest } = rec;
  let uptime: number | null = null;
  if (rec.started_at) {
    const end = rec.ended_at ? Date.parse(rec.ended_at) : Date.now();
    uptime = Math.max(0, end - Date.parse(rec.started_at));
  }
  return { ...rest, log_dropped_bytes: { ...rec.log_dropped_bytes }, webhook_url: webhookUrl(rec.agent_id), uptime_ms: uptime };
}

/** The `/status` `agents` section, from the registry (history included, so it survives restarts). */
export function agentStats(records: Iterable<AgentRecord>, active: number, queued: number): AgentStatsSnapshot {
  let completed = 0;
  let failed = 0;
  let durations = 0;
  let timed = 0;
  let total = 0;
  const byType: Record<string, number> = {};
  for (const rec of records) {
    total += 1;
    byType[rec.agent_type] = (byType[rec.agent_type] ?? 0) + 1;
    if (rec.status === 'completed') completed += 1;
    else if (rec.status !== 'queued' && rec.status !== 'running') failed += 1;
    if (rec.duration_ms !== null) {
      durations += rec.duration_ms;
      timed += 1;
    }
  }
  return {
    active,
    queued,
    completed,
    failed,
    spawned_total: total,
    by_type: byType,
    avg_execution_time_ms: timed === 0 ? 0 : Math.round((durations / timed) * 10) / 10,
  };
}

/** The record of an agent just accepted: queued, no process yet. */
export function queuedRecord(id: string, request: SpawnRequest, projectId: string, timeoutSeconds: number): AgentRecord {
  return {
    agent_id: id,
    agent_type: request.agent_type,
    issue_id: request.issue_id,
    project_id: projectId,
    task: request.task,
    priority: request.priority ?? 'normal',
    status: 'queued',
    process_id: null,
    process_start_ticks: null,
    boot_id: null,
    exit_code: null,
    signal: null,
    reason: null,
    error: null,
    context_injected: false,
    timeout_seconds: timeoutSeconds,
    created_at: new Date().toISOString(),
    started_at: null,
    ended_at: null,
    duration_ms: null,
    log_dropped_bytes: { stdout: 0, stderr: 0 },
    schema: 1,
  };
}
