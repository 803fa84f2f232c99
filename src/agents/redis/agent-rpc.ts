import { randomUUID } from 'node:crypto';
import { AgentNodeUnavailableError, AppError, EventBusUnavailableError } from '../../errors/index.js';
import type { ComponentLogger } from '../../logging/component-logger.js';
import { destroyQuietly, duplicateConnection, errorText, type RedisClient } from '../../redis/redis-connection.js';

export type AgentOp = 'status' | 'logs' | 'kill';

export interface AgentRpcRequest {
  op: AgentOp;
  agent_id: string;
  args: Record<string, unknown>;
}

/** Runs a request on the owning node; an AppError travels back as the same contract error. */
export type AgentRpcHandler = (request: AgentRpcRequest) => Promise<unknown>;

interface Envelope extends AgentRpcRequest {
  id: string;
  from: string;
}
interface Reply {
  id: string;
  ok: boolean;
  result?: unknown;
  error?: { status: number; code: string; error: string; message: string; details: Record<string, unknown> };
}

export interface AgentRpcOptions {
  client: RedisClient;
  /** To name the subscriber connection; the URL itself is never logged. */
  url: string;
  projectId: string;
  nodeId: string;
  handler: AgentRpcHandler;
  timeoutMs: number;
  logger?: ComponentLogger;
}

/**
 * Request/reply between nodes over Redis pub/sub: each node listens on its own request channel
 * and its own reply channel. A request to a node nobody listens for (PUBLISH reaches 0
 * subscribers) fails at once; one without an answer in `timeoutMs` fails then, both 503 AGT_004.
 * Pub/sub suits this: a request lost with a dropped connection is simply answered by the timeout,
 * and a kill is safe to repeat.
 */
export class AgentRpc {
  private readonly pending = new Map<string, { resolve: (r: Reply) => void; timer: NodeJS.Timeout }>();
  private readonly prefix: string;

  private constructor(
    private readonly options: AgentRpcOptions,
    private readonly subscriber: RedisClient,
  ) {
    this.prefix = `cco:{${options.projectId}}:agents:rpc:`;
  }

  static async open(options: AgentRpcOptions): Promise<AgentRpc> {
    const subscriber = await duplicateConnection(options.client, {
      url: options.url,
      name: `cco-agents-rpc-${options.nodeId}`,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const rpc = new AgentRpc(options, subscriber);
    await subscriber.subscribe(rpc.requestChannel(options.nodeId), (message) => void rpc.serve(message));
    await subscriber.subscribe(rpc.replyChannel(options.nodeId), (message) => rpc.heard(message));
    return rpc;
  }

  /** Ask `nodeId` to run the request; resolves with its result or throws its contract error. */
  async call(nodeId: string, request: AgentRpcRequest): Promise<unknown> {
    const id = randomUUID();
    const envelope: Envelope = { ...request, id, from: this.options.nodeId };
    const details = { agent_id: request.agent_id, node_id: nodeId };
    const answered = new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, ok: false });
      }, this.options.timeoutMs);
      this.pending.set(id, { resolve, timer });
    });
    let receivers: number;
    try {
      receivers = Number(await this.options.client.publish(this.requestChannel(nodeId), JSON.stringify(envelope)));
    } catch (err) {
      this.settle(id);
      this.options.logger?.warn({ err: errorText(err), node_id: nodeId }, 'agent request not sent: redis did not answer');
      throw new EventBusUnavailableError('Agent registry unavailable: Redis did not answer');
    }
    if (receivers === 0) {
      this.settle(id);
      throw new AgentNodeUnavailableError(`The agent's node ${nodeId} is not connected`, details);
    }
    const reply = await answered;
    if (reply.ok) return reply.result;
    if (reply.error) {
      const e = reply.error;
      throw new AppError(e.status, e.code, e.error, e.message, e.details);
    }
    throw new AgentNodeUnavailableError(`The agent's node ${nodeId} did not answer within ${this.options.timeoutMs} ms`, details);
  }

  close(): void {
    for (const id of [...this.pending.keys()]) this.settle(id);
    destroyQuietly(this.subscriber);
  }

  private requestChannel(nodeId: string): string {
    return `${this.prefix}${nodeId}`;
  }

  private replyChannel(nodeId: string): string {
    return `${this.prefix}${nodeId}:reply`;
  }

  private settle(id: string): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    entry.resolve({ id, ok: false });
  }

  private heard(message: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(message) as Reply;
    } catch {
      return;
    }
    const entry = this.pending.get(reply.id);
    if (!entry) return; // late: the caller already got its 503
    clearTimeout(entry.timer);
    this.pending.delete(reply.id);
    entry.resolve(reply);
  }

  private async serve(message: string): Promise<void> {
    let request: Envelope;
    try {
      request = JSON.parse(message) as Envelope;
      if (typeof request.id !== 'string' || typeof request.from !== 'string' || typeof request.agent_id !== 'string') return;
    } catch {
      return;
    }
    let reply: Reply;
    try {
      reply = { id: request.id, ok: true, result: await this.options.handler({ op: request.op, agent_id: request.agent_id, args: request.args ?? {} }) };
    } catch (err) {
      reply =
        err instanceof AppError
          ? { id: request.id, ok: false, error: { status: err.status, code: err.code, error: err.error, message: err.message, details: err.details } }
          : // Internals stay on this node: the caller gets the contract's generic 500.
            {
              id: request.id,
              ok: false,
              error: { status: 500, code: 'INTERNAL_ERROR', error: 'internal_error', message: 'Internal server error', details: {} },
            };
      if (!(err instanceof AppError))
        this.options.logger?.error({ err: errorText(err), agent_id: request.agent_id, op: request.op }, 'forwarded agent request failed');
    }
    await this.options.client
      .publish(this.replyChannel(request.from), JSON.stringify(reply))
      .catch((err: unknown) => this.options.logger?.warn({ err: errorText(err) }, 'agent reply not sent: redis did not answer'));
  }
}
