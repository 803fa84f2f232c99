/** The event name rule lives in the wire contract; re-exported for the bus. */
export { EVENT_NAME_PATTERN, isEventName } from '../contract/ids.js';
