import { silentLogger, type ComponentLogger } from '../logging/component-logger.js';
import type { Config, AgentCommand } from '../config/schema.js';
import { AgentCapacityError, NotFoundError, SpawnFailedError } from '../errors/index.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { isSafeId } from '../util/ids.js';
import { checkAgentConfig, resolveAgentCommand } from './agent-commands.js';
import { newAgentId } from './agent-id.js';
import { AgentStore, MCP_CONFIG_FILE } from './agent-store.js';
import { agentMcpConfig } from '../mcp/client-config.js';
import { buildChildEnv, checkRequestEnvironment } from './child-env.js';
import { childTokenRequest } from './child-token.js';
import { AgentSpawner, SpawnError } from './agent-spawner.js';
import { readLogFrom, readLogTail, type LogChunk } from './log-reader.js';
import { substituteArgs, substituteEnv } from './argv-template.js';
import { PriorityQueue } from './priority-queue.js';
import { readBootId } from './proc-stat.js';
import { groupAlive, signalGroup, waitGroupGone, type ProcessIdentity } from './process-group.js';
import { endMarkedProcesses, killMarkedSync } from './process-marker.js';
import { recoverAgents, type RecoveryReport } from './agent-recovery.js';
import { writeAgentContextFile } from './agent-context-file.js';
import { AgentEventPublisher } from './agent-events.js';
import { agentStats, agentView, queuedRecord, webhookUrl } from './agent-views.js';
import { checkSpawnRequestShape } from './spawn-request-check.js';
import {
  FINAL_STATUSES,
  type AgentLifecycleEvent,
  type AgentRecord,
  type AgentStatsSnapshot,
  type AgentStatus,
  type AgentView,
  type BuildContextOptions,
  type ChildTokenRequest,
  type MintedChildToken,
  type SpawnCaller,
  type SpawnRequest,
} from './types.js';

/** Everything the supervisor needs, passed in (no imports of the server, auth or context code). */
export interface AgentSupervisorDeps {
  config: Config;
  /** The sidecar's own environment (`parentEnvironment()`); only allowlisted names reach a child. */
  parentEnv: Readonly<Record<string, string>>;
  /** `http://host:port/api`; a function because the port is known only after listen. */
  sidecarUrl: string | (() => string);
  /** The token service (`TokenService.mint` fits). */
  mintToken(request: ChildTokenRequest): Promise<MintedChildToken>;
  /** Default permissions of an agent type (spec §2, config `permissions`). */
  defaultPermissions(agentType: string): readonly string[];
  /** Publish a lifecycle event on the bus; failures are logged, never fatal. */
  publish?(event: AgentLifecycleEvent): Promise<unknown> | unknown;
  /** Called once when an agent has ended (exit, kill, timeout, lost at restart), e.g. to release its leases. */
  onEnded?(record: Readonly<AgentRecord>): void;
  /**
   * The context engine; when absent, or when it resolves `undefined` (no engine wired), the
   * context file holds what the sidecar knows (issue, type, task) and `context_injected` is false.
   */
  buildContext?(issueId: string, agentType: string, options: BuildContextOptions): Promise<unknown>;
  logger?: ComponentLogger;
  /** Upper bound for `buildContext` before the agent starts without it (default 60 s). */
  contextTimeoutMs?: number;
}

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

export interface KillResult {
  agent_id: string;
  status: AgentStatus;
  /** False when the agent had already ended. */
  killed: boolean;
  signal: 'SIGTERM' | 'SIGKILL' | null;
  timestamp: string;
}

export interface AgentListFilter {
  status?: AgentStatus;
  agent_type?: string;
  issue_id?: string;
}

interface Pending {
  id: string;
  request: SpawnRequest;
  command: AgentCommand;
  tokenRequest: ChildTokenRequest;
  token: MintedChildToken;
}

type EndReason = 'timeout' | 'killed_by_request' | 'sidecar_shutdown';

interface LiveAgent {
  /** Known once the spawner reported the process. */
  identity: ProcessIdentity;
  durationMs: number | null;
  exit: { code: number | null; signal: string | null } | null;
  endReason: EndReason | null;
  forced: boolean;
  timers: Set<NodeJS.Timeout>;
  finalizing: boolean;
}


/**
 * Spawns agent processes from configured commands and supervises them: one process group per
 * agent, capped logs, timeouts, kills, a priority queue beyond `max_concurrent_agents`, state
 * persisted in `<storage>/agents/<id>/state.json`, lifecycle events on topic `coordination`,
 * and crash recovery that never signals a recycled pid.
 *
 * @example
 * const agents = new AgentSupervisor({ config, parentEnv: parentEnvironment(), sidecarUrl, mintToken, defaultPermissions })
 * await agents.start()
 * const { agent_id } = await agents.spawn({ agent_type: 'python-specialist', issue_id: 'ISSUE-1', task: 'fix it' }, caller)
 * await agents.close()
 */
export class AgentSupervisor {
  readonly store: AgentStore;
  private readonly config: Config;
  private readonly log: ComponentLogger;
  private readonly records = new Map<string, AgentRecord>();
  private readonly live = new Map<string, LiveAgent>();
  /** Ids whose start is in progress (slot taken, process not yet running). */
  private readonly starting = new Set<string>();
  private readonly cancelled = new Map<string, EndReason>();
  private readonly queue = new PriorityQueue<Pending>();
  private readonly ends = new Map<string, { promise: Promise<AgentRecord>; resolve: (r: AgentRecord) => void }>();
  private readonly events: AgentEventPublisher;
  private readonly spawner: AgentSpawner;
  private retentionTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private closePromise: Promise<void> | null = null;
  private started = false;

  constructor(private readonly deps: AgentSupervisorDeps) {
    this.config = deps.config;
    this.log = deps.logger ?? silentLogger;
    this.store = new AgentStore(deps.config.storage_path);
    this.events = new AgentEventPublisher(() => this.deps.publish, this.log);
    this.spawner = new AgentSpawner((err) => this.log.error({ err: err.message }, 'agent spawner worker failed'));
  }

  private get graceMs(): number {
    return this.config.agent_kill_grace_seconds * 1000;
  }

  private get slotsUsed(): number {
    return this.live.size + this.starting.size;
  }

  // ---------------------------------------------------------------------------------------------
  // Start and crash recovery

  /**
   * Load the registry and recover from a previous run (see `recoverAgents`: live orphans of a
   * crashed sidecar are terminated, recycled pids never signalled, and those entries become
   * `lost`), then prune old history. Spawning is refused until this has run.
   */
  async start(): Promise<RecoveryReport> {
    const problems = checkAgentConfig(this.config.agents);
    if (problems.length > 0) throw new Error(`Invalid agents configuration:\n  ${problems.join('\n  ')}`);
    await this.store.init();
    const { records, skipped } = await this.store.loadAll();
    for (const rec of records) this.records.set(rec.agent_id, rec);
    const { changed, counts } = await recoverAgents(records, this.graceMs);
    for (const rec of changed) {
      await this.store.removeContextFile(rec.agent_id).catch(() => undefined);
      await this.persist(rec);
      this.agentEnded(rec);
    }
    const report: RecoveryReport = { lost: changed.length, ...counts, skipped: skipped.length, pruned: await this.pruneHistory() };
    this.retentionTimer = setInterval(() => void this.pruneHistory().catch(() => undefined), 3_600_000);
    this.retentionTimer.unref();
    this.started = true;
    if (changed.length > 0 || skipped.length > 0) this.log.warn({ ...report }, 'agents recovered after restart');
    return report;
  }

  /** Remove finished agents (state and logs) older than `agent_history_days`. */
  async pruneHistory(): Promise<number> {
    const cutoff = Date.now() - this.config.agent_history_days * 86_400_000;
    let pruned = 0;
    for (const rec of [...this.records.values()]) {
      if (!FINAL_STATUSES.has(rec.status)) continue;
      const at = Date.parse(rec.ended_at ?? rec.created_at);
      if (Number.isFinite(at) && at < cutoff) {
        this.records.delete(rec.agent_id);
        await this.store.remove(rec.agent_id);
        pruned += 1;
      }
    }
    return pruned;
  }

  // ---------------------------------------------------------------------------------------------
  // Spawn

  /**
   * Spawn an agent for an issue, or queue it when `max_concurrent_agents` run already.
   * Throws 400 AGT_002 for a type without a command, 400 REQ_001 for a refused environment,
   * 429 AGT_003 when the queue is full, 500 AGT_001 when the process cannot start.
   * The caller's scope (project, issue) is checked by the route before this is called.
   */
  async spawn(request: SpawnRequest, caller: SpawnCaller): Promise<SpawnResult> {
    if (!this.started || this.closing) throw new SpawnFailedError('The sidecar is not accepting agents (starting up or shutting down)');
    const command = resolveAgentCommand(this.config.agents, request.agent_type);
    checkRequestEnvironment(request.environment);
    checkSpawnRequestShape(request);
    this.checkCapacity();

    const id = newAgentId();
    const tokenRequest = childTokenRequest(caller, id, request.agent_type, this.config.project_id, request.issue_id,
      this.deps.defaultPermissions(request.agent_type));
    const token = await this.deps.mintToken(tokenRequest);

    // Decided synchronously after the last await, so concurrent spawns cannot overbook slots.
    if (this.closing) throw new SpawnFailedError('The sidecar is shutting down');
    this.checkCapacity();
    const runNow = this.slotsUsed < this.config.max_concurrent_agents;
    const record = queuedRecord(id, request, this.config.project_id, command.timeout_seconds);
    this.records.set(id, record);
    const pending: Pending = { id, request, command, tokenRequest, token };
    if (runNow) this.starting.add(id);
    else this.queue.push(id, pending, record.priority);

    try {
      await this.store.createDir(id);
      await this.persist(record);
    } catch (err) {
      this.starting.delete(id);
      this.queue.remove(id);
      this.records.delete(id);
      await this.store.remove(id).catch(() => undefined);
      this.pump();
      throw new SpawnFailedError('Cannot create the agent directory', { errno: (err as NodeJS.ErrnoException).code });
    }

    const base = { agent_id: id, spawned: true as const, jwt_token: token.token, webhook_url: webhookUrl(id) };
    if (!runNow) {
      return { ...base, status: 'queued', process_id: null, context_injected: false, timestamp: new Date().toISOString(),
        queue_position: this.queue.positionOf(id) };
    }
    await this.startAgent(pending, false);
    const rec = this.records.get(id) ?? record;
    return { ...base, status: rec.status === 'queued' ? 'queued' : 'running', process_id: rec.process_id,
      context_injected: rec.context_injected, timestamp: new Date().toISOString() };
  }

  private checkCapacity(): void {
    if (this.slotsUsed >= this.config.max_concurrent_agents && this.queue.size >= this.config.agent_queue_size) {
      throw new AgentCapacityError('Agent capacity reached and the queue is full', {
        max_concurrent_agents: this.config.max_concurrent_agents,
        agent_queue_size: this.config.agent_queue_size,
        running: this.slotsUsed,
        queued: this.queue.size,
      });
    }
  }


  /** Start queued agents while slots are free. */
  private pump(): void {
    while (!this.closing && this.slotsUsed < this.config.max_concurrent_agents) {
      const next = this.queue.shift();
      if (!next) return;
      this.starting.add(next.id);
      this.startAgent(next, true).catch(() => undefined);
    }
  }

  /**
   * Build the context, write the context file, open the logs, spawn. The slot is already taken
   * (`starting`). On failure the record is `failed` and a SpawnFailedError is thrown.
   */
  private async startAgent(p: Pending, fromQueue: boolean): Promise<void> {
    const rec = this.mustGet(p.id);
    try {
      let token = p.token;
      if (fromQueue) {
        // The first token was minted at request time; one that waited in the queue gets a fresh
        // life (still capped by the caller's expiry).
        if (p.tokenRequest.not_after <= Math.floor(Date.now() / 1000)) {
          throw new SpawnFailedError("The spawning token expired before the agent could start");
        }
        token = await this.deps.mintToken(p.tokenRequest);
      }
      const contextFile = this.store.fileOf(p.id, 'context.json');
      rec.context_injected = await writeAgentContextFile({
        file: contextFile, rec, request: p.request, sidecarUrl: this.sidecarUrl(),
        buildContext: this.deps.buildContext?.bind(this.deps), timeoutMs: this.deps.contextTimeoutMs ?? 60_000, log: this.log,
      });

      const cancelledBefore = this.cancelled.get(p.id) ?? (this.closing ? 'sidecar_shutdown' : undefined);
      if (cancelledBefore) {
        await this.finishUnstarted(rec, 'killed', cancelledBefore);
        return;
      }

      // The agent's MCP configuration: the sidecar's /mcp with this agent's own token.
      const mcpConfigFile = this.store.fileOf(p.id, MCP_CONFIG_FILE);
      const sidecarBase = this.sidecarUrl().replace(/\/api$/, '');
      const mcpUrl = `${sidecarBase}/mcp`;
      await writeFileAtomic(mcpConfigFile, agentMcpConfig(p.command.mcp_config_format ?? 'json', sidecarBase, token.token), 0o600, { durable: false });

      const placeholders = {
        task: rec.task, issue_id: rec.issue_id, agent_type: rec.agent_type, agent_id: p.id, context_file: contextFile,
        mcp_config: mcpConfigFile, mcp_url: mcpUrl,
      };
      const env = buildChildEnv(this.deps.parentEnv, { ...p.command, env: substituteEnv(p.command.env, placeholders) }, p.request.environment, {
        AGENT_ID: p.id,
        AGENT_TYPE: rec.agent_type,
        ISSUE_ID: rec.issue_id,
        PROJECT_ID: rec.project_id,
        SIDECAR_URL: this.sidecarUrl(),
        JWT_TOKEN: token.token,
        TASK: rec.task,
        CONTEXT_FILE: contextFile,
        PROJECT_ROOT: this.config.project_root,
        CCO_MCP_CONFIG: mcpConfigFile,
        CCO_AGENT_MARK: p.id,
      });
      const args = substituteArgs(p.command.args, placeholders);
      const live: LiveAgent = {
        identity: { pid: 0, startTicks: null, bootId: readBootId() },
        durationMs: null,
        exit: null,
        endReason: null,
        forced: false,
        timers: new Set(),
        finalizing: false,
      };
      // The fork+exec and the pipes live in the spawner worker, off this event loop.
      let started: { pid: number; startTicks: number | null };
      try {
        started = await this.spawner.spawn(p.id, {
          command: p.command.command,
          args,
          cwd: this.config.project_root,
          env,
          stdoutFile: this.store.fileOf(p.id, 'stdout.log'),
          stderrFile: this.store.fileOf(p.id, 'stderr.log'),
          logCapBytes: this.config.agent_log_max_bytes,
          stdioGraceMs: this.graceMs + 1_000,
          nice: this.config.agent_nice,
        }, {
          onExit: (exit) => this.onExit(p.id, live, exit),
          onClosed: (dropped) => void this.finalize(p.id, live, dropped),
        });
      } catch (err) {
        const errno = err instanceof SpawnError ? err.errno : null;
        throw new SpawnFailedError(`Cannot start the command configured for '${rec.agent_type}': ${errno ?? (err as Error).message}`,
          { agent_type: rec.agent_type, errno });
      }
      live.identity = { pid: started.pid, startTicks: started.startTicks, bootId: live.identity.bootId };
      this.live.set(p.id, live);
      this.starting.delete(p.id);
      rec.status = 'running';
      rec.process_id = started.pid;
      rec.process_start_ticks = started.startTicks;
      rec.boot_id = live.identity.bootId;
      rec.started_at = new Date().toISOString();
      this.events.spawned(rec);
      const timeout = setTimeout(() => this.terminate(live, 'timeout', false), rec.timeout_seconds * 1000);
      live.timers.add(timeout);
      // The exit may already have been reported while this awaited nothing: it cannot, the
      // worker posts 'spawned' before any 'exit'; a kill or shutdown during the start applies now.
      const late = this.cancelled.get(p.id) ?? (this.closing ? 'sidecar_shutdown' : undefined);
      if (late) this.terminate(live, late, false);
      await this.persist(rec);
      this.log.info({ agent_id: p.id, agent_type: rec.agent_type, pid: started.pid }, 'agent started');
    } catch (err) {
      if (!this.live.has(p.id)) {
        rec.error = err instanceof SpawnFailedError ? err.message : 'Agent spawn failed';
        await this.finishUnstarted(rec, 'failed', null);
        this.log.error({ agent_id: p.id, err: (err as Error).message }, 'agent start failed');
        throw err instanceof SpawnFailedError ? err : new SpawnFailedError('Agent spawn failed', { agent_id: p.id });
      }
      throw err;
    }
  }

  /** The leader exited (its pipes may still be open): stop timers, TERM what is left of the group. */
  private onExit(id: string, live: LiveAgent, exit: { code: number | null; signal: string | null; durationMs: number }): void {
    live.durationMs = exit.durationMs;
    live.exit = { code: exit.code, signal: exit.signal };
    for (const t of live.timers) clearTimeout(t);
    live.timers.clear();
    if (live.identity.pid > 0 && groupAlive(live.identity)) signalGroup(live.identity, live.forced ? 'SIGKILL' : 'SIGTERM');
    this.log.info({ agent_id: id, code: exit.code, signal: exit.signal }, 'agent process exited');
  }

  /** SIGTERM to the group and SIGKILL after the grace, or SIGKILL at once. */
  private terminate(live: LiveAgent, reason: EndReason, force: boolean): 'SIGTERM' | 'SIGKILL' | null {
    live.endReason ??= reason;
    if (live.exit) return null;
    if (force || this.graceMs === 0) {
      live.forced = true;
      signalGroup(live.identity, 'SIGKILL');
      return 'SIGKILL';
    }
    signalGroup(live.identity, 'SIGTERM');
    const t = setTimeout(() => {
      live.forced = true;
      signalGroup(live.identity, 'SIGKILL');
    }, this.graceMs);
    live.timers.add(t);
    return 'SIGTERM';
  }

  /** After the leader exited and its pipes closed: clean the group, record, notify, free the slot. */
  private async finalize(id: string, live: LiveAgent, dropped: { stdout: number; stderr: number }): Promise<void> {
    if (live.finalizing) return;
    live.finalizing = true;
    const rec = this.mustGet(id);
    // No survivor in the group: TERM went out at exit; KILL what is left after the grace.
    if (!(await waitGroupGone(live.identity, live.forced ? 1_000 : this.graceMs))) {
      signalGroup(live.identity, 'SIGKILL');
      await waitGroupGone(live.identity, 5_000);
    }
    // Descendants that left the group (setsid) still carry the agent's marker: they end with it.
    const escaped = await endMarkedProcesses(id, live.forced ? 1_000 : this.graceMs);
    if (escaped > 0) this.log.warn({ agent_id: id, processes: escaped }, 'ended processes of the agent that had left its process group');
    const exit = live.exit ?? { code: null, signal: null };
    const status: AgentStatus = live.endReason === 'timeout' ? 'timed_out'
      : live.endReason ? 'killed'
      : exit.code === 0 ? 'completed' : 'failed';
    rec.status = status;
    rec.exit_code = exit.code;
    rec.signal = exit.signal;
    rec.reason = live.endReason ?? (status === 'completed' ? null : exit.signal ? `terminated by ${exit.signal}` : `exit code ${exit.code}`);
    rec.ended_at = new Date().toISOString();
    rec.duration_ms = live.durationMs === null ? null : Math.round(live.durationMs);
    rec.log_dropped_bytes = { ...dropped };
    await this.store.removeContextFile(id).catch((err: Error) => this.log.warn({ agent_id: id, err: err.message }, 'context file not removed'));
    await this.persist(rec);
    this.live.delete(id);
    this.cancelled.delete(id);
    this.agentEnded(rec);
    this.log.info({ agent_id: id, status, exit_code: exit.code, signal: exit.signal }, 'agent ended');
    this.resolveEnd(rec);
    this.pump();
  }

  /** End an agent that never got a process (killed while queued, start failed, lost). */
  private async finishUnstarted(rec: AgentRecord, status: AgentStatus, reason: string | null): Promise<void> {
    rec.status = status;
    rec.reason = reason ?? rec.reason;
    rec.ended_at = new Date().toISOString();
    this.starting.delete(rec.agent_id);
    this.cancelled.delete(rec.agent_id);
    await this.store.removeContextFile(rec.agent_id).catch(() => undefined);
    await this.persist(rec);
    this.agentEnded(rec);
    this.resolveEnd(rec);
    this.pump();
  }

  // ---------------------------------------------------------------------------------------------
  // Queries and control

  /** One agent's public view; 404 when unknown. */
  get(id: string): AgentView {
    return agentView(this.mustGet(id));
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  /** Agents, newest first. */
  list(filter: AgentListFilter = {}): AgentView[] {
    const out: AgentView[] = [];
    for (const rec of this.records.values()) {
      if (filter.status && rec.status !== filter.status) continue;
      if (filter.agent_type && rec.agent_type !== filter.agent_type) continue;
      if (filter.issue_id && rec.issue_id !== filter.issue_id) continue;
      out.push(agentView(rec));
    }
    return out.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.agent_id.localeCompare(a.agent_id)));
  }

  /**
   * Stop an agent: SIGTERM to its group and SIGKILL after the grace (`force`: SIGKILL at once);
   * a queued agent is removed from the queue. Answers at once; `waitForEnd` waits for the exit.
   * Killing an agent that already ended is not an error (`killed: false`).
   */
  kill(id: string, options: { force?: boolean } = {}): KillResult {
    const rec = this.mustGet(id);
    const base = { agent_id: id, timestamp: new Date().toISOString() };
    const live = this.live.get(id);
    if (live) {
      const signal = live.exit ? null : this.terminate(live, 'killed_by_request', options.force ?? false);
      if (signal === null && options.force) signalGroup(live.identity, 'SIGKILL');
      return { ...base, status: rec.status, killed: true, signal };
    }
    if (this.queue.remove(id)) {
      void this.finishUnstarted(rec, 'killed', 'killed_by_request');
      return { ...base, status: 'killed', killed: true, signal: null };
    }
    if (this.starting.has(id)) {
      // The start is in progress; it checks this before and right after spawn().
      this.cancelled.set(id, 'killed_by_request');
      return { ...base, status: rec.status, killed: true, signal: null };
    }
    return { ...base, status: rec.status, killed: false, signal: null };
  }

  /** Resolves with the final record once the agent has ended (at once if it has). */
  waitForEnd(id: string): Promise<AgentRecord> {
    const rec = this.mustGet(id);
    if (FINAL_STATUSES.has(rec.status)) return Promise.resolve({ ...rec });
    let entry = this.ends.get(id);
    if (!entry) {
      let resolve!: (r: AgentRecord) => void;
      const promise = new Promise<AgentRecord>((r) => {
        resolve = r;
      });
      entry = { promise, resolve };
      this.ends.set(id, entry);
    }
    return entry.promise;
  }

  private resolveEnd(rec: AgentRecord): void {
    const entry = this.ends.get(rec.agent_id);
    if (entry) {
      this.ends.delete(rec.agent_id);
      entry.resolve({ ...rec });
    }
  }

  /**
   * Read an agent's log: the last `tail` lines, or complete lines from byte `offset` on (to
   * follow a running agent). `final` in the answer says no more output will come.
   */
  async readLogs(id: string, stream: 'stdout' | 'stderr', options: { tail?: number; offset?: number } = {}): Promise<LogChunk & { agent_id: string; stream: string; status: AgentStatus; final: boolean; capped: boolean }> {
    const rec = this.mustGet(id);
    const final = FINAL_STATUSES.has(rec.status);
    const file = this.store.fileOf(id, `${stream}.log`);
    const chunk = options.offset !== undefined
      ? await readLogFrom(file, options.offset, final)
      : await readLogTail(file, options.tail ?? 100);
    const capped = chunk.size_bytes >= this.config.agent_log_max_bytes || rec.log_dropped_bytes[stream] > 0;
    return { agent_id: id, stream, status: rec.status, final, capped, ...chunk };
  }

  /** The `/status` `agents` section, from the registry (history included, so it survives restarts). */
  stats(): AgentStatsSnapshot {
    return agentStats(this.records.values(), this.live.size + this.starting.size, this.queue.size);
  }

  /** Number of agents with a running process. */
  get activeCount(): number {
    return this.live.size;
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  /**
   * Stop accepting spawns, drop the queue (those agents become `killed`), SIGTERM every group,
   * SIGKILL after the grace, and wait until every group is gone and every record is written.
   * Idempotent.
   */
  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    const waits: Array<Promise<unknown>> = [];
    for (const p of this.queue.drain()) {
      waits.push(this.finishUnstarted(this.mustGet(p.id), 'killed', 'sidecar_shutdown'));
    }
    for (const id of this.starting) {
      this.cancelled.set(id, 'sidecar_shutdown');
      waits.push(this.waitForEnd(id));
    }
    for (const [id, live] of this.live) {
      this.terminate(live, 'sidecar_shutdown', false);
      waits.push(this.waitForEnd(id));
    }
    await Promise.allSettled(waits);
    await this.spawner.close();
    await this.store.flush();
    await this.events.settled();
  }

  /**
   * Last resort for a dying process (`process.on('exit')`): SIGKILL every agent group now,
   * synchronously. Nothing is recorded; the next start marks them `lost`.
   */
  killAllSync(): void {
    for (const live of this.live.values()) signalGroup(live.identity, 'SIGKILL');
    killMarkedSync(new Set(this.live.keys()));
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private mustGet(id: string): AgentRecord {
    const rec = isSafeId(id) ? this.records.get(id) : undefined;
    if (!rec) throw new NotFoundError('No agent with that id', { agent_id: id });
    return rec;
  }

  private sidecarUrl(): string {
    return typeof this.deps.sidecarUrl === 'function' ? this.deps.sidecarUrl() : this.deps.sidecarUrl;
  }

  private async persist(rec: AgentRecord): Promise<void> {
    try {
      await this.store.save(rec);
    } catch (err) {
      this.log.error({ agent_id: rec.agent_id, err: (err as Error).message }, 'agent state not persisted');
    }
  }

  /** Once per agent, when it has ended: the end hook (e.g. release its leases), then the event. */
  private agentEnded(rec: AgentRecord): void {
    try {
      this.deps.onEnded?.(rec);
    } catch (err) {
      this.log.warn({ agent_id: rec.agent_id, err: (err as Error).message }, 'end hook failed');
    }
    this.events.ended(rec);
  }

}
