import type { AgentLifecycleEvent } from '../agents/types.js';
import type { AuditSink } from './audit-log.js';

/**
 * Audit what the supervisor did with an agent process, including what no HTTP request caused:
 * a queued agent starting later, a timeout kill, a crash, shutdown. (The spawn and kill *requests*
 * are audited by the HTTP middleware, intent first, so they fail closed.)
 *
 * @example publish: async (event) => { await recordAgentLifecycle(audit, event); return bus.publish(event); }
 */
export function recordAgentLifecycle(audit: AuditSink, event: AgentLifecycleEvent): Promise<void> {
  const d = event.data;
  const spawned = event.event_type === 'agent_spawned';
  return audit.record({
    action: spawned ? 'agent.spawned' : 'agent.exited',
    resource: `agent:${d.agent_id}`,
    outcome: event.event_type === 'agent_failed' ? 'failure' : 'success',
    agent_type: d.agent_type,
    project_id: d.project_id,
    details: {
      issue_id: d.issue_id,
      status: d.status,
      process_id: d.process_id,
      ...(spawned ? {} : { exit_code: d.exit_code, signal: d.signal, reason: d.reason, duration_ms: d.duration_ms }),
    },
  });
}
