import { AgentCapacityError, SpawnFailedError } from '../errors/index.js';
import { resolveAgentCommand } from './agent-commands.js';
import { newAgentId } from './agent-id.js';
import { checkRequestEnvironment } from './child-env.js';
import { childTokenRequest } from './child-token.js';
import { queuedRecord, webhookUrl } from './agent-views.js';
import { checkSpawnRequestShape } from './spawn-request-check.js';
import type { SpawnCaller, SpawnRequest } from './types.js';
import type { Pending, SupervisorState } from './supervisor-state.js';
import type { AgentLauncher } from './agent-launch.js';

/** The 201 body of `POST /api/agents/spawn`. */
export interface SpawnResult {
  agent_id: string;
  spawned: true;
  status: 'running' | 'queued';
  process_id: number | null;
  context_injected: boolean;
  jwt_token: string;
  webhook_url: string;
  timestamp: string;
  /** 1-based place in the start order when queued. */
  queue_position?: number;
}

/**
 * Admission: a spawn request is checked, given a token and an id, and either takes a free
 * slot (`max_concurrent_agents`) or waits in the priority queue (`agent_queue_size`).
 */
export class AgentAdmission {
  constructor(
    private readonly s: SupervisorState,
    private readonly launcher: AgentLauncher,
  ) {}

  /**
   * Spawn an agent for an issue, or queue it when `max_concurrent_agents` run already.
   * Throws 400 AGT_002 for a type without a command, 400 REQ_001 for a refused environment,
   * 429 AGT_003 when the queue is full, 500 AGT_001 when the process cannot start.
   * The caller's scope (project, issue) is checked by the route before this is called.
   */
  async spawn(request: SpawnRequest, caller: SpawnCaller): Promise<SpawnResult> {
    const s = this.s;
    if (!s.started || s.closing) throw new SpawnFailedError('The sidecar is not accepting agents (starting up or shutting down)');
    const command = resolveAgentCommand(s.config.agents, request.agent_type);
    checkRequestEnvironment(request.environment);
    checkSpawnRequestShape(request);
    this.checkCapacity();

    const id = newAgentId();
    const tokenRequest = childTokenRequest(
      caller,
      id,
      request.agent_type,
      s.config.project_id,
      request.issue_id,
      s.deps.defaultPermissions(request.agent_type),
    );
    const token = await s.deps.mintToken(tokenRequest);

    // Decided synchronously after the last await, so concurrent spawns cannot overbook slots.
    if (s.closing) throw new SpawnFailedError('The sidecar is shutting down');
    this.checkCapacity();
    const runNow = s.slotsUsed < s.config.max_concurrent_agents;
    const record = queuedRecord(id, request, s.config.project_id, command.timeout_seconds);
    s.records.set(id, record);
    const pending: Pending = { id, request, command, tokenRequest, token };
    if (runNow) s.starting.add(id);
    else s.queue.push(id, pending, record.priority);

    try {
      await s.store.createDir(id);
      await s.persist(record);
    } catch (err) {
      s.starting.delete(id);
      s.queue.remove(id);
      s.records.delete(id);
      await s.store.remove(id).catch(() => undefined);
      s.forget(id);
      this.pump();
      throw new SpawnFailedError('Cannot create the agent directory', { errno: (err as NodeJS.ErrnoException).code });
    }

    const base = { agent_id: id, spawned: true as const, jwt_token: token.token, webhook_url: webhookUrl(id) };
    if (!runNow) {
      return {
        ...base,
        status: 'queued',
        process_id: null,
        context_injected: false,
        timestamp: new Date().toISOString(),
        queue_position: s.queue.positionOf(id),
      };
    }
    await this.launcher.start(pending, false);
    const rec = s.records.get(id) ?? record;
    return {
      ...base,
      status: rec.status === 'queued' ? 'queued' : 'running',
      process_id: rec.process_id,
      context_injected: rec.context_injected,
      timestamp: new Date().toISOString(),
    };
  }

  private checkCapacity(): void {
    const s = this.s;
    if (s.slotsUsed >= s.config.max_concurrent_agents && s.queue.size >= s.config.agent_queue_size) {
      throw new AgentCapacityError('Agent capacity reached and the queue is full', {
        max_concurrent_agents: s.config.max_concurrent_agents,
        agent_queue_size: s.config.agent_queue_size,
        running: s.slotsUsed,
        queued: s.queue.size,
      });
    }
  }

  /** Start queued agents while slots are free. */
  pump(): void {
    const s = this.s;
    while (!s.closing && s.slotsUsed < s.config.max_concurrent_agents) {
      const next = s.queue.shift();
      if (!next) return;
      s.starting.add(next.id);
      this.launcher.start(next, true).catch(() => undefined);
    }
  }
}
