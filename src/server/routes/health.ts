import { constants, promises as fsp } from 'node:fs';
import type { RouteModule } from './routers.js';
import type { AppDeps, ComponentHealth } from '../app-deps.js';
import { defineRoute } from '../route-spec.js';
import { healthResponse } from '../../contract/observability.js';
import { CpuSampler, diskSpaceAvailableMb, rssMb } from '../../observability/process-usage.js';

/** Below this much free space, storage is reported degraded (writes may soon fail with 507). */
const LOW_DISK_MB = 64;

async function storageHealth(deps: AppDeps): Promise<{ state: ComponentHealth; freeMb: number; reason?: string }> {
  const dir = deps.config.storage_path;
  try {
    await fsp.access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    return { state: 'down', freeMb: 0, reason: 'the storage dir is not readable and writable' };
  }
  const freeMb = await diskSpaceAvailableMb(dir).catch(() => 0);
  const resultState = deps.results.health();
  const issueState = deps.issues.health();
  // A failed audit write (e.g. a full disk) refuses mutating requests until writes succeed again.
  const auditState = deps.audit.health();
  const state: ComponentHealth =
    resultState === 'down' || issueState === 'down'
      ? 'down'
      : freeMb < LOW_DISK_MB || resultState === 'degraded' || issueState === 'degraded' || auditState !== 'ok'
        ? 'degraded'
        : 'ok';
  // The result store says why when it knows (e.g. PostgreSQL unreachable; credentials redacted).
  const reason = resultState !== 'ok' ? deps.results.healthReason?.() : undefined;
  return { state, freeMb, ...(reason !== undefined ? { reason } : {}) };
}

/** `GET /health` (no auth): every number measured now, never a constant (spec §4). */
export const healthRoutes: RouteModule = (routers, deps) => {
  const cpu = new CpuSampler();
  defineRoute(
    routers,
    {
      method: 'get',
      path: '/health',
      tag: 'observability',
      auth: 'public',
      summary: 'Liveness and component checks (no auth)',
      responses: {
        200: { description: 'healthy or degraded', schema: healthResponse },
        503: { description: 'unhealthy: storage or event bus cannot work', schema: healthResponse },
      },
    },
    async (ctx) => {
      const storage = await storageHealth(deps);
      const bus = deps.bus.health();
      const busNotes = deps.bus.healthNotes();
      const watcher = deps.context.watcherStatus();
      const unhealthy = storage.state === 'down' || bus === 'down';
      const degraded = storage.state === 'degraded' || bus === 'degraded' || watcher === 'degraded';
      ctx.status = unhealthy ? 503 : 200;
      return {
        status: unhealthy ? 'unhealthy' : degraded ? 'degraded' : 'healthy',
        service: 'orchestration-sidecar',
        node_id: deps.config.node_id,
        version: deps.version,
        uptime_seconds: Math.floor((Date.now() - deps.startedAt) / 1000),
        checks: {
          storage: storage.state,
          event_bus: bus,
          watcher,
          memory_usage_mb: rssMb(),
          cpu_usage_percent: cpu.sample(),
          active_agents: deps.agents.stats().active,
          event_queue_size: deps.bus.stats().queue_depth,
          disk_space_available_mb: storage.freeMb,
          ...(busNotes.reason !== undefined && bus !== 'ok' ? { event_bus_reason: busNotes.reason } : {}),
          ...(storage.reason !== undefined ? { storage_reason: storage.reason } : {}),
        },
        // Durability caveats an operator should know (e.g. Redis without appendonly): never secrets.
        warnings: busNotes.warnings,
        timestamp: new Date().toISOString(),
      };
    },
  );
};
