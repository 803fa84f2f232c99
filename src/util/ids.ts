/** The id rules live in the wire contract; re-exported here for modules that predate it. */
export { SAFE_ID_PATTERN, isSafeId, safeId } from '../contract/ids.js';
