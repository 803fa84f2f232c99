import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import type { ComponentLogger } from '../logging/component-logger.js';
import { redactRedisUrl, redactSecretIn } from './redis-url.js';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisConnectOptions {
  url: string;
  /** Names the connection in `CLIENT LIST` and in the logs. */
  name: string;
  logger?: ComponentLogger;
  /** Abandon the first connection attempt after this long. Default 2 s. */
  connectTimeoutMs?: number;
}

/** Reconnect delays: 50 ms doubling to at most 1 s, with jitter so nodes do not reconnect in lockstep. */
export function reconnectDelay(retries: number): number {
  const base = Math.min(1000, 50 * 2 ** Math.min(retries, 5));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/**
 * A connected node-redis client set up for a sidecar: commands fail at once while disconnected
 * (no offline queue: a request that needs Redis answers 503 instead of hanging), reconnection
 * with capped backoff, errors logged once per outage with the URL's credentials removed.
 */
export async function connectRedis(options: RedisConnectOptions): Promise<RedisClient> {
  // Once connected, reconnect for ever; a start against a wrong URL or password fails instead of hanging.
  let connected = false;
  const client = createClient({
    url: options.url,
    name: options.name,
    disableOfflineQueue: true,
    // A server that stops answering without closing the socket still gets a 503 within 2 s.
    commandOptions: { timeout: 2000 },
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 2000,
      reconnectStrategy: (retries: number, cause: Error) => (connected ? reconnectDelay(retries) : retries >= 2 ? cause : 100),
    },
  });
  client.once('ready', () => {
    connected = true;
  });
  watchConnection(client, options);
  try {
    await client.connect();
  } catch (err) {
    destroyQuietly(client);
    // The driver's error is not attached as the cause: its text may quote the password.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`Redis at ${redactRedisUrl(options.url)} is unreachable: ${redactSecretIn(errorText(err), options.url)}`);
  }
  return client;
}

/** A second connection of the same client (blocking reads need their own). */
export async function duplicateConnection(client: RedisClient, options: RedisConnectOptions): Promise<RedisClient> {
  const dup = client.duplicate({ name: options.name });
  watchConnection(dup, options);
  await dup.connect();
  return dup;
}

function watchConnection(client: RedisClient, options: RedisConnectOptions): void {
  let down = false;
  // Without an 'error' listener node-redis would crash the process on a lost connection.
  client.on('error', (err: unknown) => {
    if (down) return;
    down = true;
    options.logger?.error(
      { redis: redactRedisUrl(options.url), connection: options.name, err: redactSecretIn(errorText(err), options.url) },
      'redis connection lost; reconnecting',
    );
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    options.logger?.info({ redis: redactRedisUrl(options.url), connection: options.name }, 'redis connection restored');
  });
}

/** Close a connection now; a client that already gave up is closed and would throw. */
export function destroyQuietly(client: RedisClient): void {
  try {
    client.destroy();
  } catch {
    // already closed
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A Lua script run by its SHA1, loaded on first use and again after a Redis restart (NOSCRIPT). */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: string[], args: Array<string | number>): Promise<unknown> {
    const argv = args.map(String);
    try {
      return await client.evalSha(this.sha, { keys, arguments: argv });
    } catch (err) {
      if (!errorText(err).startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, { keys, arguments: argv });
    }
  }
}
