export type * from './event-bus.js';
export { createEventBus, type CreateEventBusOptions } from './create-event-bus.js';
export { EmbeddedEventBus, journalDir, type BusLogger, type EmbeddedEventBusOptions } from './embedded-event-bus.js';
export { parseFilter, matchesFilter, type EventFilter } from './event-filter.js';
export { formatEventId, parseEventId } from './event-id.js';
export { EVENT_NAME_PATTERN, isEventName } from './event-names.js';
