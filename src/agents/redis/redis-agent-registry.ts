import { AgentNodeUnavailableError, AppError, EventBusUnavailableError, NotFoundError } from '../../errors/index.js';
import type { ComponentLogger } from '../../logging/component-logger.js';
import { errorText, type RedisClient } from '../../redis/redis-connection.js';
import type { AgentListFilter, AgentSupervisor, KillResult } from '../agent-supervisor.js';
import { LocalAgentRegistry, type AgentLogs, type AgentRegistry, type LogsOptions } from '../agent-registry.js';
import { agentView } from '../agent-views.js';
import { FINAL_STATUSES, type AgentRecord, type AgentView } from '../types.js';
import { AgentRpc, type AgentRpcRequest } from './agent-rpc.js';
import { RedisAgentTable, type SharedAgentRecord } from './redis-agent-table.js';

/** A node silent for this many heartbeats is dead. */
const LAPSE_BEATS = 3;

export interface RedisAgentRegistryOptions {
  client: RedisClient;
  url: string;
  projectId: string;
  nodeId: string;
  supervisor: AgentSupervisor;
  heartbeatMs: number;
  forwardTimeoutMs: number;
  /** Told once per agent of a dead node that this node marked failed (publish `agent_failed`, release leases). */
  onNodeLost(record: SharedAgentRecord): void;
  logger?: ComponentLogger;
}

/**
 * The agent registry of a cluster (spec §10): every node mirrors its agents' records into Redis
 * and beats a heartbeat; lists read every node's records; status, logs and kill of an agent of
 * another node are forwarded to it (its process and log files live there). Each heartbeat also
 * sweeps for nodes whose heartbeat lapsed and fails their running agents (`node_lost`).
 */
export class RedisAgentRegistry implements AgentRegistry {
  private readonly table: RedisAgentTable;
  private readonly local: LocalAgentRegistry;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: () => void = () => undefined;
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly o: RedisAgentRegistryOptions,
    private readonly rpc: AgentRpc,
  ) {
    this.table = new RedisAgentTable(o.client, o.projectId);
    this.local = new LocalAgentRegistry(o.supervisor, o.nodeId);
  }

  /** Joins the cluster: heartbeat, this node's records mirrored, forwarded requests served. */
  static async open(o: RedisAgentRegistryOptions): Promise<RedisAgentRegistry> {
    const holder: { registry?: RedisAgentRegistry } = {};
    const rpc = await AgentRpc.open({
      client: o.client,
      url: o.url,
      projectId: o.projectId,
      nodeId: o.nodeId,
      timeoutMs: o.forwardTimeoutMs,
      handler: (request) => holder.registry!.serveLocal(request),
      ...(o.logger ? { logger: o.logger } : {}),
    });
    const registry = new RedisAgentRegistry(o, rpc);
    holder.registry = registry;
    try {
      await registry.table.beat(o.nodeId);
      registry.unwatch = o.supervisor.watchRecords({
        changed: (rec) => registry.mirror(() => registry.table.put(rec, o.nodeId)),
        removed: (id) => registry.mirror(() => registry.table.remove(id, o.nodeId)),
      });
      await registry.syncAll();
      // After an outage the mirror may have missed writes: push this node's records again.
      o.client.on('ready', () => void registry.syncAll().catch(() => undefined));
      registry.timer = setInterval(() => void registry.tick(), o.heartbeatMs);
      registry.timer.unref();
    } catch (err) {
      await registry.close().catch(() => undefined);
      throw err;
    }
    return registry;
  }

  get lapseMs(): number {
    return this.o.heartbeatMs * LAPSE_BEATS;
  }

  async list(filter: AgentListFilter): Promise<AgentView[]> {
    const records = await this.shared(() => this.table.all());
    // This node's own agents from its table (the freshest copy, even before the mirror wrote them).
    const out = await this.local.list(filter);
    for (const rec of records) {
      if (rec.node_id === this.o.nodeId || this.local.has(rec.agent_id)) continue;
      if (filter.status && rec.status !== filter.status) continue;
      if (filter.agent_type && rec.agent_type !== filter.agent_type) continue;
      if (filter.issue_id && rec.issue_id !== filter.issue_id) continue;
      out.push(sharedView(rec));
    }
    return out.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.agent_id.localeCompare(a.agent_id)));
  }

  async get(id: string): Promise<AgentView> {
    if (this.local.has(id)) return this.local.get(id);
    const rec = await this.remote(id);
    // A final record does not change any more; a dead node's record is all there is.
    if (FINAL_STATUSES.has(rec.status) || !(await this.ownerAlive(rec))) return sharedView(rec);
    return (await this.forward(rec, { op: 'status', agent_id: id, args: {} })) as AgentView;
  }

  async readLogs(id: string, options: LogsOptions): Promise<AgentLogs> {
    if (this.local.has(id)) return this.local.readLogs(id, options);
    const rec = await this.remote(id);
    return (await this.forward(rec, { op: 'logs', agent_id: id, args: { ...options } })) as AgentLogs;
  }

  async kill(id: string, options: { force?: boolean }): Promise<KillResult> {
    if (this.local.has(id)) return this.local.kill(id, options);
    const rec = await this.remote(id);
    // Nothing left to stop on a dead node (its agents were failed): answer like an ended agent.
    if (FINAL_STATUSES.has(rec.status) && !(await this.ownerAlive(rec))) {
      return { agent_id: id, status: rec.status, killed: false, signal: null, timestamp: new Date().toISOString() };
    }
    return (await this.forward(rec, { op: 'kill', agent_id: id, args: { force: options.force ?? false } })) as KillResult;
  }

  /** Resolves once every record change so far is on Redis (a spawn answers after its record is visible to all nodes). */
  async settled(): Promise<void> {
    await this.writes;
  }

  /** Stops the heartbeat and, on a clean stop, leaves the cluster (every agent here has ended). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unwatch();
    await this.writes;
    await this.table.leave(this.o.nodeId).catch(() => undefined);
    this.rpc.close();
  }

  /** The agent's node runs the request as if it had come in locally. */
  private serveLocal(request: AgentRpcRequest): Promise<unknown> {
    const id = request.agent_id;
    if (!this.local.has(id)) return Promise.reject(new NotFoundError('No agent with that id', { agent_id: id }));
    const a = request.args;
    switch (request.op) {
      case 'status':
        return this.local.get(id);
      case 'kill':
        return this.local.kill(id, { force: a.force === true });
      case 'logs':
        return this.local.readLogs(id, {
          stream: a.stream === 'stderr' ? 'stderr' : 'stdout',
          ...(typeof a.offset === 'number' ? { offset: a.offset } : { tail: typeof a.tail === 'number' ? a.tail : 100 }),
        });
      default:
        return Promise.reject(new NotFoundError('Unknown agent operation', { op: String(request.op) }));
    }
  }

  private async remote(id: string): Promise<SharedAgentRecord> {
    const rec = await this.shared(() => this.table.get(id));
    if (!rec) throw new NotFoundError('No agent with that id', { agent_id: id });
    return rec;
  }

  private async ownerAlive(rec: SharedAgentRecord): Promise<boolean> {
    return this.shared(() => this.table.alive(rec.node_id, this.lapseMs));
  }

  private async forward(rec: SharedAgentRecord, request: AgentRpcRequest): Promise<unknown> {
    if (!(await this.ownerAlive(rec))) {
      throw new AgentNodeUnavailableError(`The agent's node ${rec.node_id} is gone (no heartbeat)`, { agent_id: rec.agent_id, node_id: rec.node_id });
    }
    return this.rpc.call(rec.node_id, request);
  }

  /** A Redis failure is the backend being down: 503 EVT_001 (Redis also carries the bus). */
  private async shared<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (err instanceof AppError) throw err;
      this.o.logger?.warn({ err: errorText(err) }, 'agent registry read failed');
      throw new EventBusUnavailableError('Agent registry unavailable: Redis did not answer');
    }
  }

  /** Mirror writes go out in order on one chain; a failed one is logged and redone by the next sync. */
  private mirror(write: () => Promise<void>): void {
    this.writes = this.writes.then(write).catch((err: unknown) => this.o.logger?.warn({ err: errorText(err) }, 'agent record not mirrored to redis'));
  }

  private async syncAll(): Promise<void> {
    const records: AgentRecord[] = [...this.o.supervisor.records()].map((r) => ({ ...r }));
    await Promise.all(records.map((r) => this.table.put(r, this.o.nodeId)));
  }

  private async tick(): Promise<void> {
    try {
      await this.table.beat(this.o.nodeId);
      const lost = await this.table.reapLapsed(this.lapseMs);
      for (const rec of lost) {
        this.o.logger?.warn({ agent_id: rec.agent_id, node_id: rec.node_id }, 'agent failed: its node stopped beating');
        this.o.onNodeLost(rec);
      }
    } catch (err) {
      this.o.logger?.warn({ err: errorText(err) }, 'agent registry heartbeat failed');
    }
  }
}

/** The public view of a record read from Redis. */
function sharedView(rec: SharedAgentRecord): AgentView {
  const { node_id: node, ...record } = rec;
  return { ...agentView(record), node_id: node };
}
