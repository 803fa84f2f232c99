import { ForbiddenError, InvalidEventError, NotFoundError, ValidationError } from '../errors/index.js';
import type { EventBus, PublishResult } from '../events/event-bus.js';
import { inIssueScope } from '../events/event-selection.js';
import type {
  DeadLetterPageBody,
  DeadLetterQuery,
  EventPageBody,
  ListEventsQuery,
  PublishEventBody,
  PublishEventResponse,
  PurgedResponse,
  RedriveResponse,
  WaitEventsQuery,
  WaitPage,
} from '../contract/events.js';
import type { Caller } from './caller.js';
import { isAdmin, requirePermission } from './access.js';
import { isReservedEventType } from '../events/reserved-event-types.js';

export interface EventsServiceDeps {
  bus: EventBus;
}

/** Options of a wait that do not come from the wire. */
export interface WaitControl {
  /** Aborting frees the wait at once (e.g. the client went away). */
  signal?: AbortSignal;
}

/**
 * The event use cases (spec §4) with the scoping of spec §2: publishing needs `publish_events`
 * and a non-admin publishes only as its own `sub` (an absent publisher is filled in); reading
 * needs `subscribe_events`; a token limited to one issue neither publishes about nor sees events
 * whose `data.issue_id` names another issue; purging dead letters is admin only.
 *
 * @example
 * await events.publish(caller, 'build_done', { data: { ok: true } });
 * const page = await events.wait(caller, 'build_done', { since: 'now', timeout: 30_000 });
 */
export class EventsService {
  constructor(private readonly deps: EventsServiceDeps) {}

  async publish(caller: Caller, eventType: string, body: PublishEventBody): Promise<PublishEventResponse> {
    requirePermission(caller, 'publish_events');
    if (isReservedEventType(eventType) && !isAdmin(caller)) {
      throw new ForbiddenError(`Event type '${eventType}' is reserved: only the sidecar publishes it`, { event_type: eventType });
    }
    if (body.event_type !== undefined && body.event_type !== eventType) {
      throw new InvalidEventError('event_type in the body must equal the one in the path', { path_event_type: eventType, body_event_type: body.event_type });
    }
    const publisher = body.publisher ?? caller.sub;
    if (publisher !== caller.sub && !isAdmin(caller)) {
      throw new ForbiddenError(`Token publishes only as '${caller.sub}'`, { token_sub: caller.sub });
    }
    const data = body.data ?? {};
    if (caller.issue_id !== undefined && !inIssueScope(data, caller.issue_id)) {
      throw new ForbiddenError('Token is scoped to another issue', { token_issue_id: caller.issue_id });
    }
    const result = await this.bus().publish({
      event_type: eventType,
      publisher,
      data,
      ...(body.topic !== undefined ? { topic: body.topic } : {}),
      ...(body.correlation_id !== undefined ? { correlation_id: body.correlation_id } : {}),
      ...(body.ttl_seconds !== undefined ? { ttl_seconds: body.ttl_seconds } : {}),
    });
    return publishedBody(result);
  }

  /** Long-poll for events of `eventType` (or `*`); `next_cursor` is always a string. */
  async wait(caller: Caller, eventType: string, query: WaitEventsQuery, control: WaitControl = {}): Promise<WaitPage> {
    requirePermission(caller, 'subscribe_events');
    const result = await this.bus().wait({
      eventType,
      subscriberId: caller.sub,
      capKey: caller.jti,
      ...(control.signal ? { signal: control.signal } : {}),
      ...(query.timeout !== undefined ? { timeoutMs: query.timeout } : {}),
      ...selectionOf(query),
      ...issueScopeOf(caller),
    });
    return { ...result, timestamp: now() };
  }

  /** Buffered events after a cursor, without waiting. */
  async list(caller: Caller, query: ListEventsQuery): Promise<EventPageBody> {
    requirePermission(caller, 'subscribe_events');
    const page = await this.bus().list({
      ...(query.type !== undefined ? { eventType: query.type } : {}),
      ...selectionOf(query),
      ...issueScopeOf(caller),
    });
    return { ...page, timestamp: now() };
  }

  async listDeadLetters(caller: Caller, query: DeadLetterQuery): Promise<DeadLetterPageBody> {
    requirePermission(caller, 'subscribe_events');
    const page = await this.bus().listDeadLetters({
      ...(query.type !== undefined ? { eventType: query.type } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
      ...issueScopeOf(caller),
    });
    return { ...page, timestamp: now() };
  }

  /** Publish a dead letter again; a non-admin redrives only events it published. */
  async redrive(caller: Caller, eventId: string): Promise<RedriveResponse> {
    requirePermission(caller, 'publish_events');
    const bus = this.bus();
    // The id format belongs to the bus's log; the wire schema only keeps the text path-safe.
    if (!bus.isCursor(eventId))
      throw new ValidationError('Invalid params: params.event_id must be an event id', [{ path: 'params.event_id', message: 'must be an event id' }]);
    if (!isAdmin(caller)) {
      // Redriving republishes as the original publisher: only that publisher (or an admin) may.
      const own = await bus.getDeadLetter(eventId);
      if (!own) throw new NotFoundError('No dead letter with that event id', { event_id: eventId });
      if (own.publisher !== caller.sub) throw new ForbiddenError('Token redrives only events it published', { token_sub: caller.sub });
      // A sidecar-published type would be re-announced (e.g. a second agent_completed): admin only.
      if (isReservedEventType(own.event_type))
        throw new ForbiddenError(`Event type '${own.event_type}' is reserved: only an admin redrives it`, { event_type: own.event_type });
    }
    const result = await bus.redriveDeadLetter(eventId);
    return { ...publishedBody(result), redriven_from: eventId };
  }

  async purgeDeadLetters(caller: Caller): Promise<PurgedResponse> {
    requirePermission(caller, 'admin');
    const purged = await this.bus().purgeDeadLetters();
    return { purged, timestamp: now() };
  }

  private bus(): EventBus {
    return this.deps.bus;
  }
}

function now(): string {
  return new Date().toISOString();
}

function publishedBody(result: PublishResult): PublishEventResponse {
  return {
    event_id: result.event.event_id,
    published: true,
    subscribers_notified: result.subscribers_notified,
    subscriber_count: result.subscriber_count,
    timestamp: result.event.timestamp,
    topic: result.event.topic,
    ttl_seconds: result.event.ttl_seconds,
  };
}

function issueScopeOf(caller: Caller): { issueScope?: string } {
  return caller.issue_id !== undefined ? { issueScope: caller.issue_id } : {};
}

/** The event selection shared by wait and list: only the fields the caller gave. */
function selectionOf(query: { topic?: string | undefined; filter?: string | undefined; since?: string | undefined; limit?: number | undefined }): {
  topic?: string;
  filter?: string;
  since?: string;
  limit?: number;
} {
  return {
    ...(query.topic !== undefined ? { topic: query.topic } : {}),
    ...(query.filter !== undefined ? { filter: query.filter } : {}),
    ...(query.since !== undefined ? { since: query.since } : {}),
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
  };
}
