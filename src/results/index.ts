export * from './result-store.js';
export { DEFAULT_LIMIT, MAX_LIMIT } from './result-cursor.js';
export { FileResultStore, type FileResultStoreOptions, type OpenReport, type ResultStoreLogger } from './file-result-store.js';
export { openResultStore } from './open-result-store.js';
export { nextAgents, DEFAULT_WORKFLOW_RULES, type NextAgent } from './workflow-rules.js';
export { summarizeResult } from './previous-outputs.js';
export { agentIdSchema, resultPayloadSchema, resultIdSchema, isoDateTime } from './envelope-schema.js';
