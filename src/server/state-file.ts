// The state and pid files moved to src/sidecar/ (src/server/ is HTTP only); this path keeps working.
export * from '../sidecar/state-file.js';
