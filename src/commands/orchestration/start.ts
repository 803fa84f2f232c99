import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Flags } from '@oclif/core';
import { BaseCommand, EXIT } from '../../cli/base-command.js';
import { loadConfig, ConfigError } from '../../config/load-config.js';
import type { Config, ConfigInput } from '../../config/schema.js';
import { redactRedisUrl } from '../../redis/redis-url.js';
import { redactUrl } from '../../util/redact-url.js';
import { ensureSecureDir } from '../../storage/atomic-write.js';
import { startSidecar, StartupError } from '../../sidecar/start-sidecar.js';
import { AlreadyRunningError, readState, isProcessAlive, type SidecarState } from '../../sidecar/state-file.js';
import { WeakKeyError } from '../../auth/signing-key.js';
import { SidecarClient } from '../../client/sidecar-client.js';
import { SECRET_FLAGS, withoutFlags } from '../../cli/argv-filter.js';
import { ClusterConfigError, startCluster, type ClusterHandle } from '../../sidecar/cluster-primary.js';

const BIN = fileURLToPath(new URL('../../../../bin/run.js', import.meta.url));
const DETACH_READY_TIMEOUT_MS = 20_000;

export default class Start extends BaseCommand<typeof Start> {
  static override summary = 'Start the orchestration sidecar (foreground unless --detach)';
  static override description =
    'Serves context, events, results and agents for one project on 127.0.0.1:3001 by default. ' +
    'Settings: defaults < .cco/orchestration.json (or --config) < CCO_SIDECAR_* env < flags.';
  static override examples = [
    '<%= config.bin %> orchestration start',
    '<%= config.bin %> orchestration start --detach --port 3002 --project ../my-repo',
    '<%= config.bin %> orchestration start --cluster 4 --redis-url redis://cache:6379 --postgres-url postgres://cco@db/cco',
  ];

  static override flags = {
    port: Flags.integer({ description: 'Port to listen on [env: CCO_SIDECAR_PORT] (default 3001; 0 = any free port)', min: 0, max: 65535 }),
    host: Flags.string({ description: 'Interface to listen on [env: CCO_SIDECAR_HOST] (default 127.0.0.1; anything else is reachable from the network)' }),
    project: Flags.string({ description: 'Project root (default: nearest dir with .git, package.json, Cargo.toml, pyproject.toml or go.mod)' }),
    'project-id': Flags.string({ description: "Project id (default: the root's base name)" }),
    config: Flags.string({ description: 'Config file (default: <project>/.cco/orchestration.json)' }),
    'cache-size-mb': Flags.integer({ description: 'Context cache bound in MiB [env: CCO_SIDECAR_CACHE_SIZE_MB] (default 1024)', min: 1 }),
    'log-level': Flags.string({
      description: 'Log level [env: CCO_SIDECAR_LOG_LEVEL]',
      options: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    }),
    watch: Flags.boolean({ description: 'Keep context fresh with a file watcher (--no-watch: short TTL instead)', allowNo: true }),
    'postgres-url': Flags.string({
      description:
        'PostgreSQL for results shared by a cluster [env: CCO_POSTGRES_URL] (sets results.backend to postgres unless the config names one); the password is never logged',
    }),
    'redis-url': Flags.string({
      description: 'Redis of a cluster: events (and rate limits, revocations) shared with every sidecar of the project there [env: CCO_REDIS_URL]',
    }),
    cluster: Flags.integer({
      description: 'Run N sidecar processes on one port (node:cluster); needs Redis and PostgreSQL (--redis-url, --postgres-url)',
      min: 2,
      max: 64,
    }),
    detach: Flags.boolean({ description: 'Run in the background; return once /health answers' }),
  };

  async run(): Promise<SidecarState> {
    const flags: Partial<ConfigInput> = {
      port: this.flags.port,
      host: this.flags.host,
      project_root: this.flags.project,
      project_id: this.flags['project-id'],
      cache_size_mb: this.flags['cache-size-mb'],
      log_level: this.flags['log-level'] as ConfigInput['log_level'],
      watch: this.flags.watch,
      storage_path: this.flags['storage-path'],
      ...(this.flags['postgres-url'] ? { postgres: { url: this.flags['postgres-url'] } } : {}),
      ...(this.flags['redis-url'] ? { redis: { url: this.flags['redis-url'] } } : {}),
    };
    let config;
    try {
      config = loadConfig({ flags, ...(this.flags.config ? { configFile: this.flags.config } : {}) });
    } catch (err) {
      if (err instanceof ConfigError) this.error(err.message, { exit: EXIT.failure });
      throw err;
    }
    if (this.flags.detach) return this.startDetached(config.storage_path, { postgres: config.postgres.url, redis: config.redis.url });
    if (this.flags.cluster !== undefined) return this.runCluster(config, this.flags.cluster);

    let handle;
    try {
      handle = await startSidecar({ config });
    } catch (err) {
      if (err instanceof StartupError || err instanceof AlreadyRunningError || err instanceof WeakKeyError) {
        this.error(err.message, { exit: EXIT.failure });
      }
      throw err;
    }
    const state = (await readState(config.storage_path))!;
    this.say(`cco sidecar ${state.version} listening on ${handle.url} (pid ${process.pid})`);
    this.say(`  project ${config.project_id} at ${config.project_root}`);
    this.say(`  storage ${config.storage_path}; logs in ${path.join(config.storage_path, 'logs')}`);
    if (config.events.backend === 'redis') this.say(`  events, revocations and rate limits on ${redactRedisUrl(config.redis.url!)}`);
    if (config.results.backend === 'postgres') this.say(`  results and issues on ${redactUrl(config.postgres.url!)}`);
    if (!['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
      this.warn(`Listening on ${config.host}: reachable beyond this machine. Tokens are still required on every route but /health.`);
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        this.say(`${signal}: shutting down`);
        // Hard stop if a component hangs: the contract promises exit within 5 s.
        setTimeout(() => process.exit(1), 5_000).unref();
        void handle.close().then(resolve, resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    // A cluster worker's channel to the primary would keep it alive after its sidecar closed.
    if (cluster.isWorker) cluster.worker?.disconnect();
    return state;
  }

  /** `--cluster N`: this process becomes the primary; the workers run `start` in the foreground. */
  private async runCluster(config: Config, size: number): Promise<SidecarState> {
    const workerArgs = withoutFlags(
      this.argv.filter((a) => a !== '--detach' && a !== '--json'),
      [...SECRET_FLAGS, '--cluster', '--storage-path'],
    );
    let handle: ClusterHandle;
    try {
      handle = await startCluster({ config, size, workerArgs, bin: BIN, say: (line) => this.say(line) });
    } catch (err) {
      if (err instanceof ClusterConfigError || err instanceof AlreadyRunningError || err instanceof WeakKeyError) {
        this.error(err.message, { exit: EXIT.failure });
      }
      throw err;
    }
    this.say(`cco sidecar cluster of ${size} listening on ${handle.state.url} (primary pid ${process.pid})`);
    this.say(`  project ${config.project_id}; nodes ${config.node_id}-w1 … -w${size}; storage ${config.storage_path}`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        this.say(`${signal}: stopping ${size} workers`);
        void handle.close().then(resolve, resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return handle.state;
  }

  private async startDetached(storagePath: string, urls: { postgres?: string | undefined; redis?: string | undefined }): Promise<SidecarState> {
    await ensureSecureDir(path.join(storagePath, 'logs'));
    const outFile = path.join(storagePath, 'logs', 'sidecar.out');
    const out = openSync(outFile, 'a', 0o600);
    const args = withoutFlags(
      this.argv.filter((a) => a !== '--detach' && a !== '--json'),
      SECRET_FLAGS,
    );
    const child = spawn(process.execPath, [BIN, 'orchestration', 'start', ...args], {
      detached: true,
      stdio: ['ignore', out, out],
      // URLs that may hold a password go through the environment, not the command line that `ps` shows.
      env: {
        ...process.env,
        CCO_SIDECAR_STORAGE: storagePath,
        ...(urls.postgres ? { CCO_POSTGRES_URL: urls.postgres } : {}),
        ...(urls.redis ? { CCO_REDIS_URL: urls.redis } : {}),
      },
    });
    closeSync(out);
    child.unref();
    let exited: number | null = null;
    child.once('exit', (code) => {
      exited = code ?? 1;
    });
    const deadline = Date.now() + DETACH_READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      if (exited !== null || !isProcessAlive(child.pid!)) {
        const tail = readFileSync(outFile, 'utf8').trim().split('\n').slice(-5).join('\n');
        this.error(`The sidecar exited during start-up:\n${tail}`, { exit: EXIT.failure });
      }
      const state = await readState(storagePath);
      if (!state || state.pid !== child.pid) continue;
      const health = await new SidecarClient({ url: state.url, timeoutMs: 1_000 }).health().catch(() => undefined);
      if (health) {
        this.say(`cco sidecar started in the background: ${state.url} (pid ${state.pid}, ${health.status})`);
        this.say(`  stop it with: cco orchestration stop${this.flags['storage-path'] ? ` --storage-path ${storagePath}` : ''}`);
        return state;
      }
    }
    this.error(`The sidecar did not answer /health within ${DETACH_READY_TIMEOUT_MS / 1000} s; see ${outFile}`, { exit: EXIT.failure });
  }
}
