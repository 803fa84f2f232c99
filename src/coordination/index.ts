/** Leases and gates (spec §8): the domain services the HTTP routes and the MCP tools share. */
export { openCoordination } from './open-coordination.js';
export type { Coordination, CoordinationDeps } from './open-coordination.js';
export { LeaseService } from './lease-service.js';
export { GateService } from './gate-service.js';
export type { GateResultSource, StoredResultNotice } from './gate-service.js';
export * from './coordination-types.js';
