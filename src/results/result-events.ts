import type { BusEvent, PublishInput } from '../events/event-bus.js';
import type { ResultEnvelope } from './result-store.js';

/** Topic of the `agent_completed` / `agent_failed` events announcing a stored result (spec §4). */
export const RESULT_EVENT_TOPIC = 'implementation';

const RESULT_EVENT_TYPES: ReadonlySet<string> = new Set(['agent_completed', 'agent_failed']);

/** The event that announces a stored result: `agent_failed` for a failed one, else `agent_completed`. */
export function resultEvent(envelope: ResultEnvelope): PublishInput {
  return {
    event_type: envelope.result.status === 'failed' ? 'agent_failed' : 'agent_completed',
    publisher: envelope.agent_id,
    topic: RESULT_EVENT_TOPIC,
    data: {
      issue_id: envelope.issue_id,
      agent_type: envelope.agent_type,
      agent_id: envelope.agent_id,
      status: envelope.result.status,
      result_id: envelope.id,
    },
  };
}

/**
 * The issue a result event is about, or undefined for any other event. Whoever reacts to stored
 * results (context invalidation) listens on the bus, so results stored through another sidecar
 * sharing the stream count too.
 */
export function issueOfResultEvent(event: BusEvent): string | undefined {
  if (!RESULT_EVENT_TYPES.has(event.event_type) || event.topic !== RESULT_EVENT_TOPIC) return undefined;
  const issue = event.data.issue_id;
  return typeof issue === 'string' ? issue : undefined;
}

/** What a result event says about the stored result, or undefined for any other event. */
export function storedResultOfEvent(event: BusEvent): { issue_id: string; agent_type: string; agent_id: string; id: string; status: string } | undefined {
  const issue = issueOfResultEvent(event);
  if (issue === undefined) return undefined;
  const { agent_type: agentType, agent_id: agentId, result_id: resultId, status } = event.data;
  if (typeof agentType !== 'string' || typeof agentId !== 'string' || typeof resultId !== 'string' || typeof status !== 'string') return undefined;
  return { issue_id: issue, agent_type: agentType, agent_id: agentId, id: resultId, status };
}
