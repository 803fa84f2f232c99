import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ensureSecureDir } from '../storage/atomic-write.js';
import { loadSigningKey } from '../auth/signing-key.js';
import { TokenService } from '../auth/token-service.js';
import { openLogger } from '../logging/create-logger.js';
import { Metrics } from '../observability/metrics.js';
import { RequestStats } from '../observability/request-stats.js';
import { VERSION } from '../version.js';
import { createEventBus } from '../events/create-event-bus.js';
import { issueOfResultEvent, storedResultOfEvent } from '../results/result-events.js';
import { openCoordination } from '../coordination/index.js';
import { withLeasedBy } from '../coordination/context-leases.js';
import { openResultStore } from '../results/open-result-store.js';
import { openPostgres } from '../storage/postgres/open-postgres.js';
import { openIssueRegistry } from '../issues/open-issue-registry.js';
import { issueOfIssueEvent } from '../issues/issue-events.js';
import { createApp } from '../server/create-app.js';
import { createHttpServer } from '../server/http-server.js';
import { AuditLog } from '../audit/audit-log.js';
import { outcomeOfStatus, type AuditRecord } from '../audit/audit-entry.js';
import { AUDIT_FILE } from '../audit/read-audit.js';
import { recordAgentLifecycle } from '../audit/agent-lifecycle-audit.js';
import type { RouteModule } from '../server/routes/routers.js';
import { createContextService } from '../context/index.js';
import type { AppDeps } from '../server/app-deps.js';
import { openSharedState } from './shared-state.js';
import { openAgentRegistry } from '../agents/redis/open-agent-registry.js';
import { lifecycleEvent } from '../agents/agent-events.js';
import { acquireSidecarLock, releaseState, writeState, type SidecarState } from './state-file.js';
import { ShutdownList } from './shutdown-list.js';
import { AgentSupervisor } from '../agents/agent-supervisor.js';
import { defaultPermissionsFor, isPermission } from '../auth/permissions.js';
import { parentEnvironment } from '../config/parent-env.js';

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

/** In-flight requests get this long to finish once the sidecar stops accepting; then their sockets are closed. */
const SHUTDOWN_DEADLINE_MS = 4_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function refuseDangerousRoot(root: string): void {
  const resolved = path.resolve(root);
  if (resolved === path.parse(resolved).root) throw new StartupError(`Refusing to serve the file-system root (${resolved}) as a project`);
  if (resolved === path.resolve(os.homedir())) throw new StartupError(`Refusing to serve the home directory (${resolved}) as a project; pass --project <dir>`);
}

function listen(server: http.Server, port: number, host: string, backlog: number): Promise<void> {
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
    server.listen({ port, host, backlog });
  });
}

/**
 * The composition root: builds every component from the config in dependency order (audit →
 * results → bus → context engine → agents → HTTP), wires them into the Koa app, listens on
 * host:port and records the state file. Each component registers its closer in one
 * `ShutdownList`, which `close()` and a failed start both run (order in shutdown-list.ts).
 */
export async function startSidecar(options: StartSidecarOptions): Promise<SidecarHandle> {
  const { config } = options;
  refuseDangerousRoot(config.project_root);
  await ensureSecureDir(config.storage_path);
  const lock = await acquireSidecarLock(config.storage_path);
  const stopping = new AbortController();
  let shutdown = new ShutdownList();
  let closeLog = (): Promise<void> => Promise.resolve();
  try {
    await ensureSecureDir(path.join(config.storage_path, 'logs'));
    const log = options.logger
      ? { logger: options.logger, close: () => Promise.resolve() }
      : openLogger({
          level: config.log_level,
          logDir: path.join(config.storage_path, 'logs'),
          maxFileBytes: config.log_file.max_file_bytes,
          maxFiles: config.log_file.max_files,
          stdout: options.logToStdout ?? false,
        });
    closeLog = log.close;
    const { logger } = log;
    shutdown = new ShutdownList(logger);
    const startedAt = Date.now();
    const key = await loadSigningKey(config.storage_path, { secret: config.jwt_secret, file: config.jwt_secret_file });
    const shared = await openSharedState(config, logger.child({ module: 'shared-state' }));
    shutdown.register('shared', () => shared.close());
    const tokens = new TokenService(key, shared.revocations, config.token_ttl_seconds, config.max_token_ttl_seconds);
    const audit = await AuditLog.open({
      file: path.join(config.storage_path, AUDIT_FILE),
      maxFileBytes: config.audit.max_file_bytes,
      maxFiles: config.audit.max_files,
      sync: config.audit.fsync,
      syncIntervalMs: config.audit.fsync_interval_ms,
    });
    // Set once listening: a stop after a successful start is audited, after everything else closed.
    let stopRecord: AuditRecord | undefined;
    shutdown.register('audit', async () => {
      if (stopRecord) await audit.record(stopRecord).catch((err: unknown) => logger.error({ err }, 'audit log write failed (sidecar.stop)'));
      await audit.close();
    });

    // Unreachable, wrong password, newer schema: a start-up refusal with the (redacted) reason.
    const postgres = await openPostgres(config, logger.child({ module: 'postgres' })).catch((err: unknown) => {
      throw new StartupError((err as Error).message);
    });
    if (postgres) shutdown.register('postgres', () => postgres.close());
    const results = await openResultStore(config, { log: logger.child({ module: 'results' }), ...(postgres ? { postgres } : {}) });
    shutdown.register('results', () => results.close());

    const { registry: issues, openReport: issuesOpened } = await openIssueRegistry(config, {
      log: logger.child({ module: 'issues' }),
      ...(postgres ? { postgres } : {}),
    });
    // Closed with the results: nothing writes an issue after the HTTP server and agents stopped.
    shutdown.register('results', () => issues.close());
    logger.info(issuesOpened, 'issue registry opened');

    const bus = await createEventBus({ config, logger: logger.child({ module: 'events' }) });
    shutdown.register('bus', () => bus.close());

    // Leases and gates: opened before the agents, so agents found dead at recovery release their
    // leases; leases that expired while the sidecar was down publish their events now.
    const coordination = await openCoordination({
      projectId: config.project_id,
      projectRoot: config.project_root,
      storagePath: config.storage_path,
      results: {
        find: async (projectId, issueId, agentType, status) => {
          const [hit] = (await results.query({ project_id: projectId, issue_id: issueId, agent_type: agentType, status, limit: 1 })).results;
          return hit ? { id: hit.id, agent_id: hit.agent_id } : undefined;
        },
      },
      publish: (event) => bus.publish({ ...event, publisher: 'cco-sidecar' }),
      log: logger.child({ module: 'coordination' }),
      redis: shared.redis ? { ...shared.redis, logger: logger.child({ module: 'leases' }) } : undefined,
    });
    shutdown.register('coordination', () => coordination.close());
    // Gates open on stored results as the bus announces them (also results stored through another sidecar).
    const unsubscribeGates = bus.onPublished((event) => {
      const stored = storedResultOfEvent(event);
      if (stored) coordination.gates.onResultStored({ ...stored, project_id: config.project_id });
    });
    shutdown.register('coordination', unsubscribeGates);

    // Context engine: publishes `files_changed` on the bus, reads previous outputs from the
    // result store, and builds the CONTEXT_FILE of spawned agents (the task text is its hint).
    const context = createContextService({
      config,
      logger: logger.child({ module: 'context' }),
      publish: (event) => bus.publish({ ...event, publisher: 'cco-sidecar' }),
      previousOutputs: (projectId, issueId) => results.previousOutputs(projectId, issueId),
      issues: issues.lookup,
    });
    shutdown.register('context', () => context.close());
    // A new result for an issue makes its cached contexts stale (previous_agent_outputs). Driven
    // by the bus, so a result stored through another sidecar on a shared stream counts too.
    const unsubscribeResults = bus.onPublished((event) => {
      const issue = issueOfResultEvent(event) ?? issueOfIssueEvent(event);
      if (issue !== undefined) context.invalidateIssue(issue);
    });
    shutdown.register('context', unsubscribeResults);
    // A changed or deleted issue makes its cached contexts stale (context.issue, ranking): here at
    // once, even when its event could not be published; through the bus above when the change
    // came through another sidecar sharing the stream.
    shutdown.register(
      'context',
      issues.onChanged((change) => context.invalidateIssue(change.issue_id)),
    );
    // Index the project and start the watcher without delaying `listen`: the first context
    // request waits for the index, /health does not.
    context.start().catch((err: unknown) => logger.error({ err }, 'context engine failed to start'));

    // Agents: recovery of a crashed predecessor's agents runs before we listen. Only SIDECAR_URL
    // is read lazily: with port 0 the port is known after listen, and no agent spawns before that.
    let agentApiUrl = '';
    const agents = new AgentSupervisor({
      config,
      parentEnv: parentEnvironment(),
      sidecarUrl: () => agentApiUrl,
      mintToken: (req) => tokens.mint({ ...req, permissions: req.permissions.filter(isPermission) }),
      defaultPermissions: (agentType) => defaultPermissionsFor(agentType, config.permissions),
      // Lifecycle events are audited (every start and exit, also timeout kills and crashes), then published.
      publish: async (event) => {
        await recordAgentLifecycle(audit, event).catch((err: unknown) =>
          logger.error({ err, agent_id: event.data.agent_id }, 'audit log write failed (agent lifecycle)'),
        );
        return bus.publish(event);
      },
      buildContext: async (issueId, agentType, { task, requirements }) =>
        await withLeasedBy(
          await context.getContext({ issue_id: issueId, agent_type: agentType, q: [task, ...requirements].join(' ').slice(0, 512) }),
          coordination.leases,
          undefined,
        ),
      // A spawned agent holds leases as its own id (its token's sub): they end with it.
      onEnded: (rec) => {
        coordination.leases
          .releaseHolder(rec.agent_id, `agent ${rec.status}`)
          .catch((err: unknown) => logger.warn({ err, agent_id: rec.agent_id }, 'leases of an ended agent not released'));
      },
      logger,
    });
    // Last resort when the process dies without close() (hard-stop timer, uncaught error):
    // SIGKILL every agent group so nothing outlives the sidecar.
    const killAgentsOnExit = (): void => agents.killAllSync();
    process.on('exit', killAgentsOnExit);
    shutdown.register('agents', async () => {
      await agents.close();
      process.off('exit', killAgentsOnExit);
    });
    await agents.start();
    // On Redis: every node's agents listed, status/logs/kill forwarded to the owning node, and
    // the running agents of a node whose heartbeat lapsed failed (`node_lost`) by one live node.
    const agentRegistry = await openAgentRegistry(
      config,
      agents,
      (rec) => {
        const event = lifecycleEvent(rec, 'agent_failed');
        void recordAgentLifecycle(audit, event)
          .catch((err: unknown) => logger.error({ err, agent_id: rec.agent_id }, 'audit log write failed (agent lifecycle)'))
          .then(() => bus.publish(event))
          .catch((err: unknown) => logger.warn({ err, agent_id: rec.agent_id }, 'agent_failed (node_lost) not published'));
        coordination.leases
          .releaseHolder(rec.agent_id, 'agent node_lost')
          .catch((err: unknown) => logger.warn({ err, agent_id: rec.agent_id }, 'leases of a lost agent not released'));
      },
      logger.child({ module: 'agent-registry' }),
    );
    // Closed after the agents (registered later in the same stage): their final records reach Redis.
    if (agentRegistry) shutdown.register('agents', () => agentRegistry.close());

    const deps: AppDeps = {
      config,
      logger,
      tokens,
      audit,
      bus,
      results,
      issues,
      context,
      agents,
      coordination,
      startedAt,
      ...(agentRegistry ? { agentRegistry: agentRegistry.registry } : {}),
      metrics: new Metrics(),
      requestStats: new RequestStats(),
      version: VERSION,
      shutdownSignal: stopping.signal,
      ...(shared.rateLimiter ? { rateLimiter: shared.rateLimiter } : {}),
    };
    deps.metrics.setSources({
      activeAgents: () => agents.stats().active,
      eventsPublished: () => bus.stats().total_published,
      cacheHits: () => context.stats().cache_hits,
      cacheMisses: () => context.stats().cache_misses,
      storageBytes: () => Math.round(results.stats().total_size_mb * 1048576),
    });

    const app = createApp(deps, options.extraRoutes);
    const handle = app.callback();
    // Koa's handler answers its own errors; the promise it returns carries nothing to wait for.
    const { server, sockets } = createHttpServer(
      (req, res) => void handle(req, res),
      config.http,
      logger,
      (refused) => {
        audit
          .record(
            {
              request_id: null,
              action: 'http.refused',
              resource: refused.path ?? '(unknown)',
              outcome: outcomeOfStatus(refused.status),
              status: refused.status,
              code: refused.code,
              ...(refused.remote ? { remote: refused.remote } : {}),
            },
            { deferred: true },
          )
          .catch((err: unknown) => logger.error({ err }, 'audit log write failed (refused request)'));
      },
    );
    await listen(server, config.port, config.host, config.http.listen_backlog);
    shutdown.register('http', async () => {
      // Stop accepting, answer every pending long-poll, let in-flight requests finish (bounded).
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      stopping.abort();
      server.closeIdleConnections();
      setImmediate(() => server.closeIdleConnections());
      const forceTimer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_DEADLINE_MS);
      await closed;
      clearTimeout(forceTimer);
      for (const socket of sockets) socket.destroy();
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${hostForUrl}:${port}`;
    // Agents run on this machine: a wildcard bind is reached through loopback.
    const agentHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '[::1]' : hostForUrl;
    agentApiUrl = `http://${agentHost}:${port}/api`;
    if (!LOOPBACK.has(config.host)) logger.warn({ host: config.host }, 'listening beyond loopback: every agent on the network can reach this sidecar');

    const state: SidecarState = {
      pid: process.pid,
      host: config.host,
      port,
      url,
      project_id: config.project_id,
      project_root: config.project_root,
      storage_path: config.storage_path,
      version: VERSION,
      started_at: new Date(startedAt).toISOString(),
      max_token_ttl_seconds: config.max_token_ttl_seconds,
      node_id: config.node_id,
      ...(config.jwt_secret_file !== undefined ? { jwt_secret_file: config.jwt_secret_file } : {}),
    };
    await writeState(config.storage_path, state);
    logger.info({ url, project_id: config.project_id, project_root: config.project_root }, 'sidecar listening');
    await audit.record({ action: 'sidecar.start', resource: url, outcome: 'success', project_id: config.project_id, details: { pid: process.pid } });

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        stopRecord = { action: 'sidecar.stop', resource: url, outcome: 'success', project_id: config.project_id, details: { pid: process.pid } };
        await shutdown.run();
        await releaseState(config.storage_path, lock);
        logger.info('sidecar stopped');
        await closeLog();
      })();
      return closing;
    };
    return { url, host: config.host, port, deps, close };
  } catch (err) {
    stopping.abort();
    await shutdown.run();
    await releaseState(config.storage_path, lock);
    await closeLog();
    throw err;
  }
}
