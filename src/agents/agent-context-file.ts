import type { ComponentLogger } from '../logging/component-logger.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import type { AgentRecord, BuildContextOptions, SpawnRequest } from './types.js';

export type BuildAgentContext = (issueId: string, agentType: string, options: BuildContextOptions) => Promise<unknown>;

export interface ContextFileInput {
  /** Where to write (`<storage>/agents/<id>/context.json`). */
  file: string;
  rec: AgentRecord;
  request: SpawnRequest;
  sidecarUrl: string;
  buildContext: BuildAgentContext | undefined;
  timeoutMs: number;
  log: ComponentLogger;
}

/**
 * Write the context file an agent finds in `CONTEXT_FILE`: who it is, its task, and the context
 * of its issue when the engine answers in time. A failed or slow context is not fatal: the file
 * says so and the agent fetches it itself. Resolves to whether the context was injected.
 */
export async function writeAgentContextFile(input: ContextFileInput): Promise<boolean> {
  const { rec, request } = input;
  const context = await contextFor(input);
  await writeFileAtomic(
    input.file,
    JSON.stringify({
      agent_id: rec.agent_id,
      agent_type: rec.agent_type,
      issue_id: rec.issue_id,
      project_id: rec.project_id,
      task: rec.task,
      priority: rec.priority,
      context_requirements: request.context_requirements ?? [],
      context_injected: context.injected,
      context: context.value,
      ...(context.error ? { context_error: context.error } : {}),
      sidecar_url: input.sidecarUrl,
      generated_at: new Date().toISOString(),
    }),
    0o600,
    { durable: false },
  ); // transient: removed at exit, meaningless after a reboot
  return context.injected;
}

async function contextFor(input: ContextFileInput): Promise<{ injected: boolean; value: unknown; error: string | null }> {
  const { buildContext, request } = input;
  if (!buildContext) return { injected: false, value: null, error: null };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('context generation timed out')), input.timeoutMs);
    });
    const value = await Promise.race([
      buildContext(request.issue_id, request.agent_type, { task: request.task, requirements: request.context_requirements ?? [] }),
      timeout,
    ]);
    return value === undefined ? { injected: false, value: null, error: null } : { injected: true, value, error: null };
  } catch (err) {
    input.log.warn({ agent_id: input.rec.agent_id, err: (err as Error).message }, 'context not injected');
    return { injected: false, value: null, error: 'Context generation failed; fetch it with GET /api/context/:issue_id/:agent_type' };
  } finally {
    clearTimeout(timer);
  }
}
