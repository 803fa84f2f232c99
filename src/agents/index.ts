/** Agent spawning and supervision (issue 4). */
export { AgentSupervisor } from './agent-supervisor.js';
export type { AgentSupervisorDeps, SpawnResult, KillResult, AgentListFilter } from './agent-supervisor.js';
export type { RecoveryReport } from './agent-recovery.js';
export { checkRequestEnvironment, isDangerousEnvKey, isReservedEnvKey, BASE_ENV_NAMES, RESERVED_ENV_NAMES } from './child-env.js';
export { resolveAgentCommand, checkAgentConfig } from './agent-commands.js';
export { substituteArgs } from './argv-template.js';
export * from './types.js';
