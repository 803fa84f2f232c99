import type { ComponentLogger } from '../logging/component-logger.js';
import type { AgentLifecycleEvent, AgentRecord } from './types.js';

const PUBLISHER = 'orchestration-sidecar';

/**
 * Publishes agent lifecycle events (`agent_spawned`, then `agent_completed` or `agent_failed`)
 * on topic `coordination`: the events of one agent in order, never blocking the caller, a failed
 * publish logged and dropped.
 */
export class AgentEventPublisher {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    /** Read at each event, so a publisher wired after construction is used. */
    private readonly publisher: () => ((event: AgentLifecycleEvent) => unknown) | undefined,
    private readonly log: ComponentLogger,
  ) {}

  spawned(rec: AgentRecord): void {
    this.emit(rec, 'agent_spawned');
  }

  /** `agent_completed` for a completed agent, else `agent_failed`. */
  ended(rec: AgentRecord): void {
    this.emit(rec, rec.status === 'completed' ? 'agent_completed' : 'agent_failed');
  }

  /** Resolves once every event queued so far was published (or dropped). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }

  private emit(rec: AgentRecord, type: AgentLifecycleEvent['event_type']): void {
    const publish = this.publisher();
    if (!publish) return;
    const event = lifecycleEvent(rec, type);
    const id = rec.agent_id;
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev
      .then(() => publish(event))
      .then(
        () => undefined,
        (err: Error) => this.log.warn({ agent_id: id, event_type: type, err: err.message }, 'lifecycle event not published'),
      );
    this.chains.set(id, next);
    void next.then(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    });
  }
}

/** The lifecycle event of a record (also for an agent another node failed, e.g. `node_lost`). */
export function lifecycleEvent(rec: AgentRecord, type: AgentLifecycleEvent['event_type']): AgentLifecycleEvent {
  return {
    event_type: type,
    topic: 'coordination',
    publisher: PUBLISHER,
    data: {
      agent_id: rec.agent_id,
      agent_type: rec.agent_type,
      issue_id: rec.issue_id,
      project_id: rec.project_id,
      status: rec.status,
      exit_code: rec.exit_code,
      signal: rec.signal,
      process_id: rec.process_id,
      reason: rec.reason,
      duration_ms: rec.duration_ms,
    },
  };
}
