import { groupAlive, signalGroup, waitGroupGone } from './process-group.js';
import { endMarkedProcesses } from './process-marker.js';
import { FINAL_STATUSES, type AgentRecord, type AgentStatus } from './types.js';
import type { EndReason, LiveAgent, SupervisorState } from './supervisor-state.js';

export interface KillResult {
  agent_id: string;
  status: AgentStatus;
  /** False when the agent had already ended. */
  killed: boolean;
  signal: 'SIGTERM' | 'SIGKILL' | null;
  timestamp: string;
}

/**
 * How agents end: the process exit, the kill and timeout signals, and finalizing the record
 * (status, logs dropped, hooks, waiters) — for agents with a process and for those that never
 * got one. Every end frees a slot, so it asks the queue to start the next.
 */
export class AgentExits {
  constructor(
    private readonly s: SupervisorState,
    /** Owned by admission: start queued agents while slots are free. */
    private readonly pump: () => void,
  ) {}

  /** The leader exited (its pipes may still be open): stop timers, TERM what is left of the group. */
  onExit(id: string, live: LiveAgent, exit: { code: number | null; signal: string | null; durationMs: number }): void {
    live.durationMs = exit.durationMs;
    live.exit = { code: exit.code, signal: exit.signal };
    for (const t of live.timers) clearTimeout(t);
    live.timers.clear();
    if (live.identity.pid > 0 && groupAlive(live.identity)) signalGroup(live.identity, live.forced ? 'SIGKILL' : 'SIGTERM');
    this.s.log.info({ agent_id: id, code: exit.code, signal: exit.signal }, 'agent process exited');
  }

  /** SIGTERM to the group and SIGKILL after the grace, or SIGKILL at once. */
  terminate(live: LiveAgent, reason: EndReason, force: boolean): 'SIGTERM' | 'SIGKILL' | null {
    live.endReason ??= reason;
    if (live.exit) return null;
    if (force || this.s.graceMs === 0) {
      live.forced = true;
      signalGroup(live.identity, 'SIGKILL');
      return 'SIGKILL';
    }
    signalGroup(live.identity, 'SIGTERM');
    const t = setTimeout(() => {
      live.forced = true;
      signalGroup(live.identity, 'SIGKILL');
    }, this.s.graceMs);
    live.timers.add(t);
    return 'SIGTERM';
  }

  /** After the leader exited and its pipes closed: clean the group, record, notify, free the slot. */
  async finalize(id: string, live: LiveAgent, dropped: { stdout: number; stderr: number }): Promise<void> {
    const s = this.s;
    if (live.finalizing) return;
    live.finalizing = true;
    const rec = s.mustGet(id);
    // No survivor in the group: TERM went out at exit; KILL what is left after the grace.
    if (!(await waitGroupGone(live.identity, live.forced ? 1_000 : s.graceMs))) {
      signalGroup(live.identity, 'SIGKILL');
      await waitGroupGone(live.identity, 5_000);
    }
    // Descendants that left the group (setsid) still carry the agent's marker: they end with it.
    const escaped = await endMarkedProcesses(id, live.forced ? 1_000 : s.graceMs);
    if (escaped > 0) s.log.warn({ agent_id: id, processes: escaped }, 'ended processes of the agent that had left its process group');
    const exit = live.exit ?? { code: null, signal: null };
    const status: AgentStatus = live.endReason === 'timeout' ? 'timed_out' : live.endReason ? 'killed' : exit.code === 0 ? 'completed' : 'failed';
    rec.status = status;
    rec.exit_code = exit.code;
    rec.signal = exit.signal;
    rec.reason = live.endReason ?? (status === 'completed' ? null : exit.signal ? `terminated by ${exit.signal}` : `exit code ${exit.code}`);
    rec.ended_at = new Date().toISOString();
    rec.duration_ms = live.durationMs === null ? null : Math.round(live.durationMs);
    rec.log_dropped_bytes = { ...dropped };
    await s.store.removeContextFile(id).catch((err: Error) => s.log.warn({ agent_id: id, err: err.message }, 'context file not removed'));
    await s.persist(rec);
    s.live.delete(id);
    s.cancelled.delete(id);
    s.agentEnded(rec);
    s.log.info({ agent_id: id, status, exit_code: exit.code, signal: exit.signal }, 'agent ended');
    this.resolveEnd(rec);
    this.pump();
  }

  /** End an agent that never got a process (killed while queued, start failed, lost). */
  async finishUnstarted(rec: AgentRecord, status: AgentStatus, reason: string | null): Promise<void> {
    const s = this.s;
    rec.status = status;
    rec.reason = reason ?? rec.reason;
    rec.ended_at = new Date().toISOString();
    s.starting.delete(rec.agent_id);
    s.cancelled.delete(rec.agent_id);
    await s.store.removeContextFile(rec.agent_id).catch(() => undefined);
    await s.persist(rec);
    s.agentEnded(rec);
    this.resolveEnd(rec);
    this.pump();
  }

  /**
   * Stop an agent: SIGTERM to its group and SIGKILL after the grace (`force`: SIGKILL at once);
   * a queued agent is removed from the queue. Answers at once; `waitForEnd` waits for the exit.
   * Killing an agent that already ended is not an error (`killed: false`).
   */
  kill(id: string, options: { force?: boolean } = {}): KillResult {
    const s = this.s;
    const rec = s.mustGet(id);
    const base = { agent_id: id, timestamp: new Date().toISOString() };
    const live = s.live.get(id);
    if (live) {
      const signal = live.exit ? null : this.terminate(live, 'killed_by_request', options.force ?? false);
      if (signal === null && options.force) signalGroup(live.identity, 'SIGKILL');
      return { ...base, status: rec.status, killed: true, signal };
    }
    if (s.queue.remove(id)) {
      void this.finishUnstarted(rec, 'killed', 'killed_by_request');
      return { ...base, status: 'killed', killed: true, signal: null };
    }
    if (s.starting.has(id)) {
      // The start is in progress; it checks this before and right after spawn().
      s.cancelled.set(id, 'killed_by_request');
      return { ...base, status: rec.status, killed: true, signal: null };
    }
    return { ...base, status: rec.status, killed: false, signal: null };
  }

  /** Resolves with the final record once the agent has ended (at once if it has). */
  waitForEnd(id: string): Promise<AgentRecord> {
    const s = this.s;
    const rec = s.mustGet(id);
    if (FINAL_STATUSES.has(rec.status)) return Promise.resolve({ ...rec });
    let entry = s.ends.get(id);
    if (!entry) {
      let resolve!: (r: AgentRecord) => void;
      const promise = new Promise<AgentRecord>((r) => {
        resolve = r;
      });
      entry = { promise, resolve };
      s.ends.set(id, entry);
    }
    return entry.promise;
  }

  private resolveEnd(rec: AgentRecord): void {
    const entry = this.s.ends.get(rec.agent_id);
    if (entry) {
      this.s.ends.delete(rec.agent_id);
      entry.resolve({ ...rec });
    }
  }
}
