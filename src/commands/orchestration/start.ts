import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Flags } from '@oclif/core';
import { BaseCommand, EXIT } from '../../cli/base-command.js';
import { loadConfig, ConfigError } from '../../config/load-config.js';
import type { ConfigInput } from '../../config/schema.js';
import { redactRedisUrl } from '../../redis/redis-url.js';
import { ensureSecureDir } from '../../storage/atomic-write.js';
import { startSidecar, StartupError } from '../../sidecar/start-sidecar.js';
import { AlreadyRunningError, readState, isProcessAlive, type SidecarState } from '../../sidecar/state-file.js';
import { WeakKeyError } from '../../auth/signing-key.js';
import { SidecarClient } from '../../client/sidecar-client.js';

const BIN = fileURLToPath(new URL('../../../../bin/run.js', import.meta.url));
const DETACH_READY_TIMEOUT_MS = 20_000;

export default class Start extends BaseCommand<typeof Start> {
  static override summary = 'Start the orchestration sidecar (foreground unless --detach)';
  static override description = 'Serves context, events, results and agents for one project on 127.0.0.1:3001 by default. '
    + 'Settings: defaults < .cco/orchestration.json (or --config) < CCO_SIDECAR_* env < flags.';
  static override examples = [
    '<%= config.bin %> orchestration start',
    '<%= config.bin %> orchestration start --detach --port 3002 --project ../my-repo',
  ];

  static override flags = {
    port: Flags.integer({ description: 'Port to listen on [env: CCO_SIDECAR_PORT] (default 3001; 0 = any free port)', min: 0, max: 65535 }),
    host: Flags.string({ description: 'Interface to listen on [env: CCO_SIDECAR_HOST] (default 127.0.0.1; anything else is reachable from the network)' }),
    project: Flags.string({ description: 'Project root (default: nearest dir with .git, package.json, Cargo.toml, pyproject.toml or go.mod)' }),
    'project-id': Flags.string({ description: 'Project id (default: the root\'s base name)' }),
    config: Flags.string({ description: 'Config file (default: <project>/.cco/orchestration.json)' }),
    'cache-size-mb': Flags.integer({ description: 'Context cache bound in MiB [env: CCO_SIDECAR_CACHE_SIZE_MB] (default 1024)', min: 1 }),
    'log-level': Flags.string({ description: 'Log level [env: CCO_SIDECAR_LOG_LEVEL]', options: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }),
    watch: Flags.boolean({ description: 'Keep context fresh with a file watcher (--no-watch: short TTL instead)', allowNo: true }),
    'redis-url': Flags.string({ description: 'Redis of a cluster: events (and rate limits, revocations) shared with every sidecar of the project there [env: CCO_REDIS_URL]' }),
    detach: Flags.boolean({ description: 'Run in the background; return once /health answers' }),
  };

  async run(): Promise<SidecarState> {
    const settings = this.settings();
    const flags: Partial<ConfigInput> = {
      port: this.flags.port,
      host: this.flags.host,
      project_root: this.flags.project,
      project_id: this.flags['project-id'],
      cache_size_mb: this.flags['cache-size-mb'],
      log_level: this.flags['log-level'] as ConfigInput['log_level'],
      watch: this.flags.watch,
      storage_path: this.flags['storage-path'],
      ...(this.flags['redis-url'] ? { redis: { url: this.flags['redis-url'] } } : {}),
    };
    let config;
    try {
      config = loadConfig({ flags, ...(this.flags.config ? { configFile: this.flags.config } : {}) });
    } catch (err) {
      if (err instanceof ConfigError) this.error(err.message, { exit: EXIT.failure });
      throw err;
    }
    if (this.flags.detach) return this.startDetached(config.storage_path);

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
    return state;
  }

  private async startDetached(storagePath: string): Promise<SidecarState> {
    await ensureSecureDir(path.join(storagePath, 'logs'));
    const outFile = path.join(storagePath, 'logs', 'sidecar.out');
    const out = openSync(outFile, 'a', 0o600);
    const args = this.argv.filter((a) => a !== '--detach' && a !== '--json');
    // The Redis URL may hold a password: hand it over in the environment, not on a command line `ps` shows.
    const at = args.findIndex((a) => a === '--redis-url' || a.startsWith('--redis-url='));
    if (at >= 0) args.splice(at, args[at] === '--redis-url' ? 2 : 1);
    const child = spawn(process.execPath, [BIN, 'orchestration', 'start', ...args], {
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        ...process.env, CCO_SIDECAR_STORAGE: storagePath,
        ...(this.flags['redis-url'] ? { CCO_REDIS_URL: this.flags['redis-url'] } : {}),
      },
    });
    closeSync(out);
    child.unref();
    let exited: number | null = null;
    child.once('exit', (code) => { exited = code ?? 1; });
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
