/** Public surface of the context engine (the server and CLI import from here). */
export { createContextService, ContextService } from './context-service.js';
export type { ContextServiceDeps, ContextStats, PublishInput, WatcherStatusReport } from './context-service.js';
export type { ContextRequest, ContextResponse, FilesChangedEvent, PreviousAgentOutput, ProjectStructure, RelevantFile, GitContext, ProjectMetadata } from './context-types.js';
export type { ClearResult } from './context-cache.js';
export { contextConfigSchema, parseContextConfig, MAX_CONTEXT_BYTES_CAP, CATEGORIES } from './context-config.js';
export type { ContextConfig, Category } from './context-config.js';
export { resolveProfile } from './agent-profiles.js';
export type { AgentProfile } from './agent-profiles.js';
export type { Strategy } from './budget.js';
