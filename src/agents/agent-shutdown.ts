import { signalGroup } from './process-group.js';
import { killMarkedSync } from './process-marker.js';
import type { SupervisorState } from './supervisor-state.js';
import type { AgentExits } from './agent-exits.js';

/**
 * Stop accepting spawns, drop the queue (those agents become `killed`), SIGTERM every group,
 * SIGKILL after the grace, and wait until every group is gone and every record is written.
 */
export async function closeSupervisor(s: SupervisorState, exits: AgentExits): Promise<void> {
  s.closing = true;
  if (s.retentionTimer) clearInterval(s.retentionTimer);
  const waits: Array<Promise<unknown>> = [];
  for (const p of s.queue.drain()) {
    waits.push(exits.finishUnstarted(s.mustGet(p.id), 'killed', 'sidecar_shutdown'));
  }
  // Starts in progress see the cancellation before or right after their spawn.
  for (const id of s.starting) {
    s.cancelled.set(id, 'sidecar_shutdown');
    waits.push(exits.waitForEnd(id));
  }
  for (const [id, live] of s.live) {
    exits.terminate(live, 'sidecar_shutdown', false);
    waits.push(exits.waitForEnd(id));
  }
  await Promise.allSettled(waits);
  await s.spawner.close();
  await s.store.flush();
  await s.events.settled();
}

/**
 * Last resort for a dying process (`process.on('exit')`): SIGKILL every agent group now,
 * synchronously. Nothing is recorded; the next start marks them `lost`.
 */
export function killAllSync(s: SupervisorState): void {
  for (const live of s.live.values()) signalGroup(live.identity, 'SIGKILL');
  killMarkedSync(new Set(s.live.keys()));
}
