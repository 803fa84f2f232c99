import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ensureSecureDir } from '../storage/atomic-write.js';
import { loadSigningKey } from '../auth/signing-key.js';
import { FileRevocationStore } from '../auth/revocations.js';
import { TokenService } from '../auth/token-service.js';
import { createLogger } from '../logging/create-logger.js';
import { Metrics } from '../observability/metrics.js';
import { RequestStats } from '../observability/request-stats.js';
import { VERSION } from '../version.js';
import { createEventBus } from '../events/create-event-bus.js';
import { openResultStore } from '../results/open-result-store.js';
import { createApp } from './create-app.js';
import { createHttpServer } from './http-server.js';
import { AuditLog } from '../audit/audit-log.js';
import { AUDIT_FILE } from '../audit/read-audit.js';
import { recordAgentLifecycle } from '../audit/agent-lifecycle-audit.js';
import type { RouteModule } from './routes/routers.js';
import { createContextService } from '../context/index.js';
import type { AppDeps } from './app-deps.js';
import { acquirePidLock, releaseState, writeState, type SidecarState } from './state-file.js';
import { AgentSupervisor } from '../agents/agent-supervisor.js';
import { defaultPermissionsFor, isPermission } from '../auth/permissions.js';
import { parentEnvironment } from '../config/parent-env.js';
import { openCoordination } from '../coordination/index.js';
import { withLeasedBy } from '../coordination/context-leases.js';

export interface StartSidecarOptions {
  config: Config;
  /** Mirror logs to stdout (foreground `start`). */
  logToStdout?: boolean;
  /** Injected logger (tests); otherwise logs go to `<storage>/logs/`. */
  logger?: Logger;
  /** Extra route modules (tests: e.g. a slow route to exercise timeouts). */
  extraRoutes?: RouteModule[];
}

export interface SidecarHandle {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly deps: AppDeps;
  /** Idempotent graceful shutdown; resolves when everything is closed. */
  close(): Promise<void>;
}

export class StartupError extends Error {}

const SHUTDOWN_DEADLINE_MS = 4_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function refuseDangerousRoot(root: string): void {
  const resolved = path.resolve(root);
  if (resolved === path.parse(resolved).root) throw new StartupError(`Refusing to serve the file-system root (${resolved}) as a project`);
  if (resolved === path.resolve(os.homedir())) throw new StartupError(`Refusing to serve the home directory (${resolved}) as a project; pass --project <dir>`);
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new StartupError(`Port ${port} on ${host} is already in use; pick another with --port`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new StartupError(`Address ${host} is not available on this machine`));
      else if (err.code === 'EACCES') reject(new StartupError(`Not allowed to listen on ${host}:${port}`));
      else reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // Always pass the host: listen(port) alone binds every interface (HAZARDS.md).
    server.listen(port, host);
  });
}

/**
 * The composition root: builds every component from the config, wires them into the Koa app,
 * listens on host:port and records the state file. Shutdown order: stop accepting → answer
 * pending long-polls and stop agents → close components (journal flushed) → drop idle sockets
 * → force-close what is left at the deadline.
 */
export async function startSidecar(options: StartSidecarOptions): Promise<SidecarHandle> {
  const { config } = options;
  refuseDangerousRoot(config.project_root);
  await ensureSecureDir(config.storage_path);
  await acquirePidLock(config.storage_path);
  const closers: Array<() => Promise<void>> = [];
  try {
    await ensureSecureDir(path.join(config.storage_path, 'logs'));
    const logger = options.logger ?? createLogger({
      level: config.log_level,
      logDir: path.join(config.storage_path, 'logs'),
      stdout: options.logToStdout ?? false,
    });
    const key = await loadSigningKey(config.storage_path, config.jwt_secret);
    const tokens = new TokenService(key, await FileRevocationStore.open(config.storage_path), config.token_ttl_seconds);
    const audit = await AuditLog.open({
      file: path.join(config.storage_path, AUDIT_FILE), maxFileBytes: config.audit.max_file_bytes, maxFiles: config.audit.max_files,
      sync: config.audit.fsync, syncIntervalMs: config.audit.fsync_interval_ms,
    });
    closers.push(() => audit.close());
    const deps: AppDeps = {
      config,
      logger,
      tokens,
      metrics: new Metrics(),
      requestStats: new RequestStats(),
      version: VERSION,
      startedAt: Date.now(),
      audit,
    };
    // Components: each is built here, registered in `deps` and in `closers` (for a failed start);
    // `close()` below shuts them down in order. Their routes are listed in create-app.ts.
    const bus = await createEventBus({ config, logger: logger.child({ module: 'events' }) });
    deps.bus = bus;
    closers.push(() => bus.close());
    const results = await openResultStore(config, { log: logger.child({ module: 'results' }) });
    deps.results = results;
    closers.push(() => results.close());
    logger.info({ results_indexed: results.openReport.results_indexed, quarantined: results.openReport.quarantined.length,
      expired_removed: results.openReport.expired_removed, duration_ms: results.openReport.duration_ms }, 'result store opened');

    // Leases and gates: opened before the agents, so agents found dead at recovery release their
    // leases; leases that expired while the sidecar was down publish their events now.
    const coordination = await openCoordination({
      projectId: config.project_id, projectRoot: config.project_root, storagePath: config.storage_path,
      results: {
        find: async (projectId, issueId, agentType, status) => {
          const [hit] = (await results.query({ project_id: projectId, issue_id: issueId, agent_type: agentType, status, limit: 1 })).results;
          return hit ? { id: hit.id, agent_id: hit.agent_id } : undefined;
        },
      },
      publish: (event) => bus.publish({ ...event, publisher: 'cco-sidecar' }),
      log: logger.child({ module: 'coordination' }),
    });
    deps.coordination = coordination;
    closers.push(() => coordination.close());
    const unsubscribeGates = results.onStored((event) => coordination.gates.onResultStored(event));
    closers.push(async () => unsubscribeGates());

    // Agents: recovery of a crashed predecessor's agents runs before we listen. SIDECAR_URL and
    // the bus/context hooks are read lazily: the port is known only after listen, and the bus and
    // context engine may be wired after this.
    let agentApiUrl = '';
    const agents = new AgentSupervisor({
      config,
      parentEnv: parentEnvironment(),
      sidecarUrl: () => agentApiUrl,
      mintToken: (req) => tokens.mint({ ...req, permissions: req.permissions.filter(isPermission) }),
      defaultPermissions: (agentType) => defaultPermissionsFor(agentType, config.permissions),
      // Lifecycle events are audited (every start and exit, also timeout kills and crashes), then go
      // on the bus once one is wired (deps.bus); without a bus they are skipped.
      publish: async (event) => {
        await recordAgentLifecycle(audit, event).catch((err: unknown) => logger.error({ err, agent_id: event.data.agent_id }, 'audit log write failed (agent lifecycle)'));
        return deps.bus?.publish(event);
      },
      buildContext: async (issueId, agentType, opts) => deps.buildAgentContext?.(issueId, agentType, opts),
      // A spawned agent holds leases as its own id (its token's sub): they end with it.
      onEnded: (rec) => {
        coordination.leases.releaseHolder(rec.agent_id, `agent ${rec.status}`)
          .catch((err: unknown) => logger.warn({ err, agent_id: rec.agent_id }, 'leases of an ended agent not released'));
      },
      logger,
    });
    await agents.start();
    deps.agents = agents;
    // Last resort when the process dies without close() (hard-stop timer, uncaught error):
    // SIGKILL every agent group so nothing outlives the sidecar.
    const killAgentsOnExit = (): void => agents.killAllSync();
    process.on('exit', killAgentsOnExit);
    closers.push(async () => {
      await agents.close();
      process.off('exit', killAgentsOnExit);
    });

    // Context engine: publishes `files_changed` on the bus, reads previous outputs from the
    // result store, and builds the CONTEXT_FILE of spawned agents (the task text is its hint).
    const context = createContextService({
      config,
      logger: logger.child({ module: 'context' }),
      publish: (event) => bus.publish({ ...event, publisher: 'cco-sidecar' }),
      previousOutputs: (projectId, issueId) => results.previousOutputs(projectId, issueId),
    });
    deps.context = context;
    closers.push(() => context.close());
    deps.buildAgentContext = async (issueId, agentType, { task, requirements }) =>
      withLeasedBy(await context.getContext({ issue_id: issueId, agent_type: agentType, q: [task, ...requirements].join(' ').slice(0, 512) }), coordination.leases, undefined);
    // A new result for an issue makes its cached contexts stale (previous_agent_outputs).
    const unsubscribeResults = results.onStored((event) => context.invalidateIssue(event.issue_id));
    closers.push(async () => unsubscribeResults());
    // Index the project and start the watcher without delaying `listen`: the first context
    // request waits for the index, /health does not.
    context.start().catch((err: unknown) => logger.error({ err }, 'context engine failed to start'));

    deps.metrics.setSources({
      activeAgents: () => deps.agents?.stats().active ?? 0,
      eventsPublished: () => deps.bus?.stats().total_published ?? 0,
      cacheHits: () => deps.context?.stats().cache_hits ?? 0,
      cacheMisses: () => deps.context?.stats().cache_misses ?? 0,
      storageBytes: () => Math.round((deps.results?.stats().total_size_mb ?? 0) * 1048576),
    });

    const app = createApp(deps, options.extraRoutes);
    const { server, sockets } = createHttpServer(app.callback(), config.http, logger);
    await listen(server, config.port, config.host);
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${hostForUrl}:${port}`;
    // Agents run on this machine: a wildcard bind is reached through loopback.
    const agentHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '[::1]' : hostForUrl;
    agentApiUrl = `http://${agentHost}:${port}/api`;
    if (!LOOPBACK.has(config.host)) logger.warn({ host: config.host }, 'listening beyond loopback: every agent on the network can reach this sidecar');

    const state: SidecarState = {
      pid: process.pid, host: config.host, port, url, project_id: config.project_id, project_root: config.project_root,
      storage_path: config.storage_path, version: VERSION, started_at: new Date(deps.startedAt).toISOString(),
    };
    await writeState(config.storage_path, state);
    logger.info({ url, project_id: config.project_id, project_root: config.project_root }, 'sidecar listening');
    await audit.record({ action: 'sidecar.start', resource: url, outcome: 'success', project_id: config.project_id, details: { pid: process.pid } });

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        const forceTimer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_DEADLINE_MS);
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Agents stop first (their final lifecycle events still reach the bus), then the other
        // components answer their waiters, before sockets are dropped.
        await deps.agents?.close().catch((err: Error) => logger.error({ err }, 'agents did not stop cleanly'));
        process.off('exit', killAgentsOnExit);
        // Before the bus: lease and gate waiters are answered and their last events published.
        await deps.coordination?.close().catch((err: Error) => logger.error({ err }, 'coordination did not close cleanly'));
        const components = [deps.context, deps.bus, deps.results];
        await Promise.allSettled(components.map((c) => c?.close()));
        server.closeIdleConnections();
        setImmediate(() => server.closeIdleConnections());
        await serverClosed;
        clearTimeout(forceTimer);
        for (const socket of sockets) socket.destroy();
        // Last: components may still record (e.g. agents killed on shutdown) while they close.
        await audit.record({ action: 'sidecar.stop', resource: url, outcome: 'success', project_id: config.project_id, details: { pid: process.pid } })
          .catch((err: unknown) => logger.error({ err }, 'audit log write failed (sidecar.stop)'));
        await audit.close();
        await releaseState(config.storage_path);
        logger.info('sidecar stopped');
        logger.flush?.();
      })();
      return closing;
    };
    return { url, host: config.host, port, deps, close };
  } catch (err) {
    for (const closeIt of closers.reverse()) await closeIt().catch(() => undefined);
    await releaseState(config.storage_path);
    throw err;
  }
}
