/** Public surface of the context engine (the server and CLI import from here). */
export { createContextService, ContextService } from './service/context-service.js';
export type { ContextServiceDeps, ContextStats, PublishInput, WatcherStatusReport } from './service/context-service.js';
export type {
  ContextRequest,
  ContextResponse,
  FilesChangedEvent,
  PreviousAgentOutput,
  ProjectStructure,
  RelevantFile,
  GitContext,
  ProjectMetadata,
} from './service/context-types.js';
export type { ClearResult } from './cache/context-cache.js';
export { contextConfigSchema, parseContextConfig, MAX_CONTEXT_BYTES_CAP, PROFILE_NAMES } from './service/context-config.js';
export type { ContextConfig, ProfileName } from './service/context-config.js';
export { resolveProfile } from './ranking/agent-profiles.js';
export type { AgentProfile } from './ranking/agent-profiles.js';
export type { Strategy } from './ranking/budget.js';
