// The process lifecycle moved to src/sidecar/ (src/server/ is HTTP only); this path keeps working.
export * from '../sidecar/start-sidecar.js';
