import type { AgentSupervisor, AgentListFilter, KillResult } from './agent-supervisor.js';
import type { AgentView } from './types.js';

/** What `GET /api/agents/:id/logs` answers (before the timestamp is added). */
export type AgentLogs = Awaited<ReturnType<AgentSupervisor['readLogs']>>;

export interface LogsOptions {
  stream: 'stdout' | 'stderr';
  tail?: number;
  offset?: number;
}

/**
 * Where the agents service finds agents: the read and stop operations that must see every node
 * of a cluster. Spawning stays with the local supervisor (an agent runs where it was spawned).
 * Embedded: this node's table. Redis: every node's records, and the owner reached over Redis.
 */
export interface AgentRegistry {
  /** Agents, newest first. */
  list(filter: AgentListFilter): Promise<AgentView[]>;
  /** One agent's view; 404 when no node knows it. */
  get(id: string): Promise<AgentView>;
  readLogs(id: string, options: LogsOptions): Promise<AgentLogs>;
  kill(id: string, options: { force?: boolean }): Promise<KillResult>;
  /** Resolves once this node's record changes so far are visible to every node. */
  settled?(): Promise<void>;
}

/** One node: today's table in the supervisor, every view stamped with this node's id. */
export class LocalAgentRegistry implements AgentRegistry {
  constructor(
    private readonly supervisor: AgentSupervisor,
    private readonly nodeId: string,
  ) {}

  list(filter: AgentListFilter): Promise<AgentView[]> {
    return Promise.resolve(this.supervisor.list(filter).map((v) => ({ ...v, node_id: this.nodeId })));
  }

  get(id: string): Promise<AgentView> {
    return Promise.resolve().then(() => ({ ...this.supervisor.get(id), node_id: this.nodeId }));
  }

  has(id: string): boolean {
    return this.supervisor.has(id);
  }

  readLogs(id: string, options: LogsOptions): Promise<AgentLogs> {
    return this.supervisor.readLogs(id, options.stream, options.offset !== undefined ? { offset: options.offset } : { tail: options.tail ?? 100 });
  }

  kill(id: string, options: { force?: boolean }): Promise<KillResult> {
    return Promise.resolve().then(() => this.supervisor.kill(id, options));
  }
}
