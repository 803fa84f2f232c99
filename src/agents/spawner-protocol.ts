/**
 * The closed message protocol between the supervisor (main thread) and the spawner worker
 * (`workers/agent-spawner.ts`). Plain serialisable objects only.
 */

/** main → worker */
export type SpawnerRequest = {
  op: 'spawn';
  id: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  stdoutFile: string;
  stderrFile: string;
  logCapBytes: number;
  /** After the leader exits, stop waiting for its pipes to close after this long. */
  stdioGraceMs: number;
  /** Run the agent through `nice -n <n>` (0: not at all). */
  nice: number;
};

/** worker → main */
export type SpawnerEvent =
  | { op: 'spawned'; id: string; pid: number; startTicks: number | null }
  | { op: 'spawn_failed'; id: string; errno: string | null; message: string }
  | { op: 'exit'; id: string; code: number | null; signal: string | null; durationMs: number }
  | { op: 'closed'; id: string; dropped: { stdout: number; stderr: number } };
