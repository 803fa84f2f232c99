import type { Config } from '../../config/schema.js';
import type { ComponentLogger } from '../../logging/component-logger.js';
import { PostgresDatabase } from './postgres-database.js';

/**
 * The PostgreSQL connection of this process when a configured backend needs it (results today),
 * else undefined. Opening migrates the schema, so a node never serves on an old one.
 *
 * @example const db = await openPostgres(config, logger.child({ module: 'postgres' }));
 */
export async function openPostgres(config: Config, log?: ComponentLogger): Promise<PostgresDatabase | undefined> {
  if (config.results.backend !== 'postgres') return undefined;
  const url = config.postgres.url;
  // The config check refuses this earlier; kept so a hand-built config fails clearly too.
  if (!url) throw new Error("results.backend is 'postgres' but no PostgreSQL URL is set");
  const { db } = await PostgresDatabase.open({
    url,
    poolSize: config.postgres.pool_size,
    connectTimeoutMs: config.postgres.connect_timeout_ms,
    queryTimeoutMs: config.postgres.query_timeout_ms,
    ...(log ? { log } : {}),
  });
  return db;
}
