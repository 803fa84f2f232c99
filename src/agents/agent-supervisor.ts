import type { LogChunk } from './log-reader.js';
import type { AgentStore } from './agent-store.js';
import type { RecoveryReport } from './agent-recovery.js';
import { agentStats, agentView } from './agent-views.js';
import type { AgentRecord, AgentStatsSnapshot, AgentStatus, AgentView, SpawnCaller, SpawnRequest } from './types.js';
import { SupervisorState, type AgentSupervisorDeps, type RecordWatcher } from './supervisor-state.js';
import { AgentExits, type KillResult } from './agent-exits.js';
import { AgentLauncher } from './agent-launch.js';
import { AgentAdmission, type SpawnResult } from './agent-admission.js';
import { pruneHistory, startSupervisor } from './agent-startup.js';
import { listAgents, readAgentLogs, type AgentListFilter } from './agent-queries.js';
import { closeSupervisor, killAllSync } from './agent-shutdown.js';

export type { AgentSupervisorDeps, RecordWatcher } from './supervisor-state.js';
export type { SpawnResult } from './agent-admission.js';
export type { KillResult } from './agent-exits.js';
export type { AgentListFilter } from './agent-queries.js';

/**
 * Spawns agent processes from configured commands and supervises them: one process group per
 * agent, capped logs, timeouts, kills, a priority queue beyond `max_concurrent_agents`, state
 * persisted in `<storage>/agents/<id>/state.json`, lifecycle events on topic `coordination`,
 * and crash recovery that never signals a recycled pid.
 *
 * A facade over its parts, which share one SupervisorState: admission and the queue
 * (agent-admission.ts), starting a process (agent-launch.ts), how agents end
 * (agent-exits.ts), recovery at start (agent-startup.ts), read-only views
 * (agent-queries.ts) and shutdown (agent-shutdown.ts).
 *
 * @example
 * const agents = new AgentSupervisor({ config, parentEnv: parentEnvironment(), sidecarUrl, mintToken, defaultPermissions })
 * await agents.start()
 * const { agent_id } = await agents.spawn({ agent_type: 'python-specialist', issue_id: 'ISSUE-1', task: 'fix it' }, caller)
 * await agents.close()
 */
export class AgentSupervisor {
  readonly store: AgentStore;
  private readonly state: SupervisorState;
  private readonly exits: AgentExits;
  private readonly admission: AgentAdmission;

  constructor(deps: AgentSupervisorDeps) {
    this.state = new SupervisorState(deps);
    this.store = this.state.store;
    // Every end frees a slot and starts the next queued agent; admission owns the queue.
    this.exits = new AgentExits(this.state, () => this.admission.pump());
    this.admission = new AgentAdmission(this.state, new AgentLauncher(this.state, this.exits));
  }

  /**
   * Load the registry and recover from a previous run (see `recoverAgents`: live orphans of a
   * crashed sidecar are terminated, recycled pids never signalled, and those entries become
   * `lost`), then prune old history. Spawning is refused until this has run.
   */
  start(): Promise<RecoveryReport> {
    return startSupervisor(this.state);
  }

  /** Remove finished agents (state and logs) older than `agent_history_days`. */
  pruneHistory(): Promise<number> {
    return pruneHistory(this.state);
  }

  /**
   * Spawn an agent for an issue, or queue it when `max_concurrent_agents` run already.
   * Throws 400 AGT_002 for a type without a command, 400 REQ_001 for a refused environment,
   * 429 AGT_003 when the queue is full, 500 AGT_001 when the process cannot start.
   * The caller's scope (project, issue) is checked by the route before this is called.
   */
  spawn(request: SpawnRequest, caller: SpawnCaller): Promise<SpawnResult> {
    return this.admission.spawn(request, caller);
  }

  /** One agent's public view; 404 when unknown. */
  get(id: string): AgentView {
    return agentView(this.state.mustGet(id));
  }

  has(id: string): boolean {
    return this.state.records.has(id);
  }

  /** The raw records (for a shared registry to mirror); read-only. */
  records(): Iterable<Readonly<AgentRecord>> {
    return this.state.records.values();
  }

  /** Be told of every record written or removed from now on; returns the unsubscribe. */
  watchRecords(watcher: RecordWatcher): () => void {
    this.state.watchers.add(watcher);
    return () => this.state.watchers.delete(watcher);
  }

  /** Agents, newest first. */
  list(filter: AgentListFilter = {}): AgentView[] {
    return listAgents(this.state, filter);
  }

  /**
   * Stop an agent: SIGTERM to its group and SIGKILL after the grace (`force`: SIGKILL at once);
   * a queued agent is removed from the queue. Answers at once; `waitForEnd` waits for the exit.
   * Killing an agent that already ended is not an error (`killed: false`).
   */
  kill(id: string, options: { force?: boolean } = {}): KillResult {
    return this.exits.kill(id, options);
  }

  /** Resolves with the final record once the agent has ended (at once if it has). */
  waitForEnd(id: string): Promise<AgentRecord> {
    return this.exits.waitForEnd(id);
  }

  /**
   * Read an agent's log: the last `tail` lines, or complete lines from byte `offset` on (to
   * follow a running agent). `final` in the answer says no more output will come.
   */
  readLogs(
    id: string,
    stream: 'stdout' | 'stderr',
    options: { tail?: number; offset?: number } = {},
  ): Promise<LogChunk & { agent_id: string; stream: string; status: AgentStatus; final: boolean; capped: boolean }> {
    return readAgentLogs(this.state, id, stream, options);
  }

  /** The `/status` `agents` section, from the registry (history included, so it survives restarts). */
  stats(): AgentStatsSnapshot {
    return agentStats(this.state.records.values(), this.state.live.size + this.state.starting.size, this.state.queue.size);
  }

  /** Number of agents with a running process. */
  get activeCount(): number {
    return this.state.live.size;
  }

  /**
   * Stop accepting spawns, drop the queue (those agents become `killed`), SIGTERM every group,
   * SIGKILL after the grace, and wait until every group is gone and every record is written.
   * Idempotent.
   */
  close(): Promise<void> {
    this.state.closePromise ??= closeSupervisor(this.state, this.exits);
    return this.state.closePromise;
  }

  /**
   * Last resort for a dying process (`process.on('exit')`): SIGKILL every agent group now,
   * synchronously. Nothing is recorded; the next start marks them `lost`.
   */
  killAllSync(): void {
    killAllSync(this.state);
  }
}
