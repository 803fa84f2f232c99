export type * from './event-bus.js';
export type * from './event-log.js';
export { createEventBus, type CreateEventBusOptions } from './create-event-bus.js';
export { EventBusCore, type EventBusCoreOptions } from './event-bus-core.js';
export { EmbeddedEventBus, journalDir, type EmbeddedEventBusOptions } from './embedded-event-bus.js';
export { EmbeddedEventLog, type EmbeddedEventLogOptions } from './embedded-event-log.js';
export { inIssueScope } from './event-selection.js';
export { parseFilter, matchesFilter, type EventFilter } from './event-filter.js';
export { EVENT_NAME_PATTERN, isEventName } from './event-names.js';
