import cluster, { type Worker } from 'node:cluster';
import path from 'node:path';
import { KEY_FILE_NAME, loadSigningKey } from '../auth/signing-key.js';
import type { Config } from '../config/schema.js';
import { ensureSecureDir } from '../storage/atomic-write.js';
import { VERSION } from '../version.js';
import { acquireSidecarLock, releaseState, writeState, type SidecarState } from './state-file.js';

export class ClusterConfigError extends Error {}

/** Node storage dirs of a cluster's workers: `<storage>/nodes/<n>` (audit log, agent logs, caches). */
export const NODES_DIR = 'nodes';

/** Between SIGTERM to the workers and SIGKILL: each worker's own stop deadline is 5 s. */
const STOP_DEADLINE_MS = 6_000;
/** A worker that dies is started again after this, so a crash loop cannot spin. */
const RESPAWN_DELAY_MS = 1_000;

/**
 * Refuse a cluster whose nodes could not share their state: events (and the other shared state
 * on Redis) and results must live in servers every process reaches.
 */
export function checkClusterConfig(config: Config, size: number): void {
  const missing: string[] = [];
  if (config.events.backend !== 'redis' || !config.redis.url) missing.push('Redis (--redis-url, CCO_REDIS_URL or redis.url)');
  if (config.results.backend !== 'postgres' || !config.postgres.url) missing.push('PostgreSQL (--postgres-url, CCO_POSTGRES_URL or postgres.url)');
  if (missing.length) {
    throw new ClusterConfigError(
      `start --cluster ${size} runs ${size} sidecars that must share events, results and tokens; configure ${missing.join(' and ')}. ` +
        'Without them, run one sidecar (no --cluster).',
    );
  }
}

export interface ClusterOptions {
  config: Config;
  size: number;
  /** The `start` arguments each worker runs with (without --cluster, --detach, --json, --storage-path and URLs). */
  workerArgs: string[];
  /** The CLI entry (bin/run.js). */
  bin: string;
  say: (line: string) => void;
}

export interface ClusterHandle {
  readonly state: SidecarState;
  /** Stop every worker (SIGTERM, then SIGKILL at the deadline) and release the storage dir. Idempotent. */
  close(): Promise<void>;
}

/**
 * `start --cluster N`: this process is the node:cluster primary. It holds the storage dir's pid
 * lock and state file (so `stop`, `status` and `token` work as with one sidecar) and forks N
 * workers, each a whole sidecar (`start` in the foreground) on the same host and port; the
 * primary hands incoming connections to them in turn. Each worker has its own node id
 * (`<node_id>-w<n>`) and storage dir (`<storage>/nodes/<n>`: audit log, agent logs, caches),
 * and all sign with one key: the configured secret or key file, else `<storage>/jwt.key`.
 *
 * @example const handle = await startCluster({ config, size: 4, workerArgs, bin, say: console.log });
 */
export async function startCluster(options: ClusterOptions): Promise<ClusterHandle> {
  const { config, size } = options;
  checkClusterConfig(config, size);
  await ensureSecureDir(config.storage_path);
  const lock = await acquireSidecarLock(config.storage_path);
  try {
    let keyFile = config.jwt_secret_file;
    if (config.jwt_secret === undefined && keyFile === undefined) {
      await loadSigningKey(config.storage_path);
      keyFile = path.join(config.storage_path, KEY_FILE_NAME);
    }
    await ensureSecureDir(path.join(config.storage_path, NODES_DIR));
    cluster.setupPrimary({ exec: options.bin, args: ['orchestration', 'start', ...options.workerArgs] });

    let stopping = false;
    const workers = new Map<number, Worker>();
    const fork = (n: number): Worker => {
      const env: Record<string, string> = {
        CCO_SIDECAR_STORAGE: path.join(config.storage_path, NODES_DIR, String(n)),
        CCO_NODE_ID: `${config.node_id}-w${n}`,
        ...(config.redis.url ? { CCO_REDIS_URL: config.redis.url } : {}),
        ...(config.postgres.url ? { CCO_POSTGRES_URL: config.postgres.url } : {}),
        ...(keyFile !== undefined ? { CCO_SIDECAR_JWT_SECRET_FILE: keyFile } : {}),
      };
      const worker = cluster.fork(env);
      workers.set(n, worker);
      worker.on('exit', (code, signal) => {
        if (workers.get(n) === worker) workers.delete(n);
        if (stopping) return;
        options.say(`worker ${n} (pid ${worker.process.pid}) exited (${signal ?? code}); starting it again`);
        setTimeout(() => {
          if (!stopping) fork(n);
        }, RESPAWN_DELAY_MS).unref();
      });
      return worker;
    };

    // Ready when every worker listens; a worker that exits first fails the start.
    const address = await new Promise<{ address: string; port: number }>((resolve, reject) => {
      let listening = 0;
      let first: { address: string; port: number } | undefined;
      const onListening = (_w: Worker, addr: { address: string; port: number }): void => {
        first ??= addr;
        if (++listening === size) {
          cluster.off('listening', onListening);
          cluster.off('exit', onEarlyExit);
          resolve(first);
        }
      };
      const onEarlyExit = (w: Worker, code: number): void => {
        cluster.off('listening', onListening);
        cluster.off('exit', onEarlyExit);
        stopping = true;
        for (const other of workers.values()) other.process.kill('SIGTERM');
        reject(new ClusterConfigError(`a cluster worker (pid ${w.process.pid}) exited during start-up with code ${code}; see its output above`));
      };
      cluster.on('listening', onListening);
      cluster.on('exit', onEarlyExit);
      for (let n = 1; n <= size; n++) fork(n);
    });

    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const state: SidecarState = {
      pid: process.pid,
      host: config.host,
      port: address.port,
      url: `http://${host}:${address.port}`,
      project_id: config.project_id,
      project_root: config.project_root,
      storage_path: config.storage_path,
      version: VERSION,
      started_at: new Date().toISOString(),
      max_token_ttl_seconds: config.max_token_ttl_seconds,
      node_id: config.node_id,
      cluster_size: size,
      ...(keyFile !== undefined ? { jwt_secret_file: keyFile } : {}),
    };
    await writeState(config.storage_path, state);

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        stopping = true;
        const exits = [...workers.values()].map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        );
        const deadline = setTimeout(() => {
          for (const w of workers.values()) if (!w.isDead()) w.process.kill('SIGKILL');
        }, STOP_DEADLINE_MS);
        await Promise.all(exits);
        clearTimeout(deadline);
        await releaseState(config.storage_path, lock);
      })();
      return closing;
    };
    return { state, close };
  } catch (err) {
    await releaseState(config.storage_path, lock);
    throw err;
  }
}
