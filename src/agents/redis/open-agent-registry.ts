import type { Config } from '../../config/schema.js';
import type { ComponentLogger } from '../../logging/component-logger.js';
import { connectRedis, destroyQuietly } from '../../redis/redis-connection.js';
import type { AgentSupervisor } from '../agent-supervisor.js';
import { RedisAgentRegistry, type RedisAgentRegistryOptions } from './redis-agent-registry.js';

export interface OpenedAgentRegistry {
  registry: RedisAgentRegistry;
  close(): Promise<void>;
}

/**
 * With `events.backend: "redis"`, the cluster's agent registry on its own connection (plus the
 * request subscriber); undefined otherwise (the agents service then reads this node's table).
 */
export async function openAgentRegistry(
  config: Config,
  supervisor: AgentSupervisor,
  onNodeLost: RedisAgentRegistryOptions['onNodeLost'],
  logger: ComponentLogger,
): Promise<OpenedAgentRegistry | undefined> {
  if (config.events.backend !== 'redis') return undefined;
  const url = config.redis.url!;
  const client = await connectRedis({ url, name: `cco-agents-${config.node_id}`, logger });
  try {
    const registry = await RedisAgentRegistry.open({
      client,
      url,
      projectId: config.project_id,
      nodeId: config.node_id,
      supervisor,
      onNodeLost,
      logger,
      heartbeatMs: config.redis.heartbeat_ms,
      forwardTimeoutMs: config.redis.forward_timeout_ms,
    });
    return {
      registry,
      close: async () => {
        await registry.close();
        destroyQuietly(client);
      },
    };
  } catch (err) {
    destroyQuietly(client);
    throw err;
  }
}
