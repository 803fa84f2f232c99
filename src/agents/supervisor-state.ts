import { silentLogger, type ComponentLogger } from '../logging/component-logger.js';
import type { Config, AgentCommand } from '../config/schema.js';
import { NotFoundError } from '../errors/index.js';
import { isSafeId } from '../util/ids.js';
import { AgentStore } from './agent-store.js';
import { AgentSpawner } from './agent-spawner.js';
import { PriorityQueue } from './priority-queue.js';
import type { ProcessIdentity } from './process-group.js';
import { AgentEventPublisher } from './agent-events.js';
import type { AgentLifecycleEvent, AgentRecord, BuildContextOptions, ChildTokenRequest, MintedChildToken, SpawnRequest } from './types.js';

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
  publish?(event: AgentLifecycleEvent): unknown;
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

/** A spawn request accepted but not started yet (queued, or about to start). */
export interface Pending {
  id: string;
  request: SpawnRequest;
  command: AgentCommand;
  tokenRequest: ChildTokenRequest;
  token: MintedChildToken;
}

export type EndReason = 'timeout' | 'killed_by_request' | 'sidecar_shutdown';

/** An agent with a process, from its spawn until it is finalized. */
export interface LiveAgent {
  /** Known once the spawner reported the process. */
  identity: ProcessIdentity;
  durationMs: number | null;
  exit: { code: number | null; signal: string | null } | null;
  endReason: EndReason | null;
  forced: boolean;
  timers: Set<NodeJS.Timeout>;
  finalizing: boolean;
}

/** Mirrors the local records somewhere else; called after each local write, never awaited. */
export interface RecordWatcher {
  changed(record: Readonly<AgentRecord>): void;
  removed(id: string): void;
}

/**
 * What the supervisor's parts share: the registry, the slots (live and starting), the queue,
 * and the small helpers each of them uses. Admission, launch, exit handling, recovery and
 * shutdown all read and write it, so it belongs to none of them.
 */
export class SupervisorState {
  readonly config: Config;
  readonly log: ComponentLogger;
  readonly store: AgentStore;
  readonly records = new Map<string, AgentRecord>();
  readonly live = new Map<string, LiveAgent>();
  /** Ids whose start is in progress (slot taken, process not yet running). */
  readonly starting = new Set<string>();
  readonly cancelled = new Map<string, EndReason>();
  readonly queue = new PriorityQueue<Pending>();
  readonly ends = new Map<string, { promise: Promise<AgentRecord>; resolve: (r: AgentRecord) => void }>();
  readonly events: AgentEventPublisher;
  readonly spawner: AgentSpawner;
  retentionTimer: NodeJS.Timeout | null = null;
  closing = false;
  closePromise: Promise<void> | null = null;
  started = false;
  /** Told of every record written or removed (e.g. to mirror it into a shared registry). */
  readonly watchers = new Set<RecordWatcher>();

  constructor(readonly deps: AgentSupervisorDeps) {
    this.config = deps.config;
    this.log = deps.logger ?? silentLogger;
    this.store = new AgentStore(deps.config.storage_path);
    this.events = new AgentEventPublisher(() => (this.deps.publish ? (event) => this.deps.publish?.(event) : undefined), this.log);
    this.spawner = new AgentSpawner((err) => this.log.error({ err: err.message }, 'agent spawner worker failed'));
  }

  get graceMs(): number {
    return this.config.agent_kill_grace_seconds * 1000;
  }

  get slotsUsed(): number {
    return this.live.size + this.starting.size;
  }

  mustGet(id: string): AgentRecord {
    const rec = isSafeId(id) ? this.records.get(id) : undefined;
    if (!rec) throw new NotFoundError('No agent with that id', { agent_id: id });
    return rec;
  }

  sidecarUrl(): string {
    return typeof this.deps.sidecarUrl === 'function' ? this.deps.sidecarUrl() : this.deps.sidecarUrl;
  }

  async persist(rec: AgentRecord): Promise<void> {
    try {
      await this.store.save(rec);
    } catch (err) {
      this.log.error({ agent_id: rec.agent_id, err: (err as Error).message }, 'agent state not persisted');
    }
    for (const w of this.watchers) w.changed(rec);
  }

  /** The record is gone for good (pruned history, or a spawn refused after its record was made). */
  forget(id: string): void {
    for (const w of this.watchers) w.removed(id);
  }

  /** Once per agent, when it has ended: the end hook (e.g. release its leases), then the event. */
  agentEnded(rec: AgentRecord): void {
    try {
      this.deps.onEnded?.(rec);
    } catch (err) {
      this.log.warn({ agent_id: rec.agent_id, err: (err as Error).message }, 'end hook failed');
    }
    this.events.ended(rec);
  }
}
