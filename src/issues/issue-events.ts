import type { BusEvent, PublishInput } from '../events/event-bus.js';
import type { IssueRecord } from './issue-record.js';
import type { IssueChangeAction } from './issue-registry.js';

/** Topic of `issue_updated` (spec §6). */
export const ISSUE_EVENT_TOPIC = 'coordination';
export const ISSUE_EVENT_TYPE = 'issue_updated';

/** The event that announces a stored issue change (created, updated or deleted). */
export function issueEvent(issue: IssueRecord, action: IssueChangeAction, publisher: string): PublishInput {
  return {
    event_type: ISSUE_EVENT_TYPE,
    publisher,
    topic: ISSUE_EVENT_TOPIC,
    data: { issue_id: issue.issue_id, project_id: issue.project_id, revision: issue.revision, action, title: issue.title, labels: [...issue.labels] },
  };
}

/**
 * The issue an `issue_updated` event is about, or undefined for any other event. Context
 * invalidation listens on the bus too, so a change made through another sidecar sharing the
 * stream refreshes this sidecar's cached contexts.
 */
export function issueOfIssueEvent(event: BusEvent): string | undefined {
  if (event.event_type !== ISSUE_EVENT_TYPE || event.topic !== ISSUE_EVENT_TOPIC) return undefined;
  const issue = event.data.issue_id;
  return typeof issue === 'string' ? issue : undefined;
}
