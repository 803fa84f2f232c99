/**
 * Shared shapes of the agents module: the persisted record of one agent (`state.json`), the
 * spawn request, and the dependencies the supervisor is given (token minting, event
 * publishing, context building) as plain functions, so it never imports the server.
 */

/** Lifecycle of an agent. `queued` and `running` are live; the rest are final. */
export type AgentStatus = 'queued' | 'running' | 'completed' | 'failed' | 'killed' | 'timed_out' | 'lost';

export const AGENT_STATUSES: readonly AgentStatus[] = ['queued', 'running', 'completed', 'failed', 'killed', 'timed_out', 'lost'];

export const FINAL_STATUSES: ReadonlySet<AgentStatus> = new Set(['completed', 'failed', 'killed', 'timed_out', 'lost']);

export type AgentPriority = 'high' | 'normal' | 'low';

/** What `agents/<id>/state.json` holds. Never a token or a secret. */
export interface AgentRecord {
  agent_id: string;
  agent_type: string;
  issue_id: string;
  project_id: string;
  task: string;
  priority: AgentPriority;
  status: AgentStatus;
  /** Process id (= process group id, the agent leads its group); null until started. */
  process_id: number | null;
  /** Start time of `process_id` in clock ticks since boot (`/proc/<pid>/stat` field 22). */
  process_start_ticks: number | null;
  /** `/proc/sys/kernel/random/boot_id` when the process started: start ticks compare only within one boot. */
  boot_id: string | null;
  exit_code: number | null;
  signal: string | null;
  /** Why the agent ended the way it did (e.g. `timeout`, `killed_by_request`, `sidecar_shutdown`). */
  reason: string | null;
  /** A human-readable error when the start failed. */
  error: string | null;
  context_injected: boolean;
  timeout_seconds: number;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  /** Measured wall time from start to exit (monotonic clock while the sidecar ran it). */
  duration_ms: number | null;
  /** Bytes dropped past the log cap, per stream. */
  log_dropped_bytes: { stdout: number; stderr: number };
  /** Version of this layout, for future migrations. */
  schema: 1;
}

/** A validated spawn request (the route validates the wire body into this). */
export interface SpawnRequest {
  agent_type: string;
  issue_id: string;
  task: string;
  context_requirements?: readonly string[];
  environment?: Readonly<Record<string, string>>;
  priority?: AgentPriority;
}

/** Who asks for the spawn: the verified claims of the caller's token. */
export interface SpawnCaller {
  sub: string;
  agent_type: string;
  project_id: string;
  permissions: ReadonlySet<string> | readonly string[];
  issue_id?: string;
  /** Unix seconds: the child's token never outlives this. */
  exp: number;
}

/** What the supervisor asks the token service for (shape of `TokenService.mint` input). */
export interface ChildTokenRequest {
  sub: string;
  agent_type: string;
  project_id: string;
  issue_id: string;
  permissions: string[];
  /** Absolute expiry cap (unix seconds). */
  not_after: number;
}

export interface MintedChildToken {
  token: string;
  expires_at: string;
  exp: number;
}

/** A lifecycle event for the bus (topic `coordination`). */
export interface AgentLifecycleEvent {
  event_type: 'agent_spawned' | 'agent_completed' | 'agent_failed';
  topic: 'coordination';
  publisher: string;
  data: {
    agent_id: string;
    agent_type: string;
    issue_id: string;
    project_id: string;
    status: AgentStatus;
    exit_code: number | null;
    signal: string | null;
    process_id: number | null;
    reason: string | null;
    duration_ms: number | null;
  };
}

/** Options handed to the context engine when it is present. */
export interface BuildContextOptions {
  task: string;
  requirements: readonly string[];
}

/** The `/status` `agents` section. */
export interface AgentStatsSnapshot {
  active: number;
  queued: number;
  completed: number;
  failed: number;
  spawned_total: number;
  /** Agents spawned per type (history included). */
  by_type: Record<string, number>;
  avg_execution_time_ms: number;
}

/** The public view of an agent (status endpoint, list, CLI). */
export interface AgentView extends Omit<AgentRecord, 'process_start_ticks' | 'boot_id' | 'schema'> {
  webhook_url: string;
  uptime_ms: number | null;
  /** The sidecar that runs (or ran) the agent (`config.node_id`); its logs and process live there. */
  node_id?: string;
}
