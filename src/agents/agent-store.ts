import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ensureSecureDir, writeFileAtomic } from '../storage/atomic-write.js';
import { isSafeId } from '../util/ids.js';
import { AGENT_STATUSES, FINAL_STATUSES, type AgentRecord } from './types.js';

/** The agent's `CCO_MCP_CONFIG` file, next to its context file. */
export const MCP_CONFIG_FILE = 'mcp.json' as const;

/**
 * The agents registry on disk: `<storage>/agents/<id>/` holds `state.json` (the record),
 * `stdout.log`, `stderr.log` and, while the agent runs, `context.json`. Survives restarts, so
 * the list and history do, and so a restarted sidecar finds the processes of a crashed one.
 *
 * Writes of one record are serialised and coalesced: two overlapping atomic renames could
 * otherwise land out of order and leave an older state on disk.
 */
export class AgentStore {
  readonly root: string;
  private readonly writing = new Map<string, Promise<void>>();
  private readonly dirty = new Map<string, AgentRecord>();

  constructor(storagePath: string) {
    this.root = path.join(storagePath, 'agents');
  }

  dirOf(id: string): string {
    if (!isSafeId(id)) throw new Error('unsafe agent id');
    return path.join(this.root, id);
  }

  fileOf(id: string, name: 'state.json' | 'stdout.log' | 'stderr.log' | 'context.json' | typeof MCP_CONFIG_FILE): string {
    return path.join(this.dirOf(id), name);
  }

  async init(): Promise<void> {
    await ensureSecureDir(this.root);
  }

  async createDir(id: string): Promise<void> {
    await ensureSecureDir(this.dirOf(id));
  }

  /** Persist a snapshot of `record`; resolves once the newest snapshot asked for is on disk. */
  save(record: AgentRecord): Promise<void> {
    const id = record.agent_id;
    this.dirty.set(id, { ...record, log_dropped_bytes: { ...record.log_dropped_bytes } });
    return this.writing.get(id) ?? this.writeLoop(id);
  }

  private writeLoop(id: string): Promise<void> {
    const p = (async () => {
      try {
        for (;;) {
          const next = this.dirty.get(id);
          // Checked and cleared in one synchronous step: a save() arriving after this point
          // finds no loop running and starts its own.
          if (!next) {
            this.writing.delete(id);
            return;
          }
          this.dirty.delete(id);
          // Live states (queued, running) matter for finding orphans after a crash of the sidecar
          // process, which keeps the page cache; after a power loss no agent survives either (and
          // the boot id changes). Only final states are worth an fsync.
          await writeFileAtomic(this.fileOf(id, 'state.json'), `${JSON.stringify(next, null, 2)}\n`, 0o600, { durable: FINAL_STATUSES.has(next.status) });
        }
      } catch (err) {
        this.writing.delete(id);
        throw err;
      }
    })();
    this.writing.set(id, p);
    return p;
  }

  /** Every readable record; malformed or foreign entries are reported, not fatal. */
  async loadAll(): Promise<{ records: AgentRecord[]; skipped: string[] }> {
    const records: AgentRecord[] = [];
    const skipped: string[] = [];
    let names: string[];
    try {
      names = await fsp.readdir(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records, skipped };
      throw err;
    }
    for (const name of names) {
      if (!isSafeId(name)) continue;
      let text: string;
      try {
        const st = await fsp.lstat(path.join(this.root, name));
        if (!st.isDirectory()) continue;
        text = await fsp.readFile(this.fileOf(name, 'state.json'), 'utf8');
      } catch {
        skipped.push(name);
        continue;
      }
      const record = parseRecord(text, name);
      if (record) records.push(record);
      else skipped.push(name);
    }
    return { records, skipped };
  }

  /** Remove the files that live only while the agent runs: its context and its MCP config (which holds its token). */
  async removeContextFile(id: string): Promise<void> {
    await Promise.all(([MCP_CONFIG_FILE, 'context.json'] as const).map((name) => fsp.rm(this.fileOf(id, name), { force: true })));
  }

  async remove(id: string): Promise<void> {
    await this.writing.get(id);
    await fsp.rm(this.dirOf(id), { recursive: true, force: true });
  }

  /** Wait for every pending write. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
  }
}

function parseRecord(text: string, dirName: string): AgentRecord | null {
  try {
    const r = JSON.parse(text) as Partial<AgentRecord>;
    if (r.agent_id !== dirName || typeof r.agent_type !== 'string' || typeof r.issue_id !== 'string') return null;
    if (!r.status || !AGENT_STATUSES.includes(r.status) || typeof r.created_at !== 'string') return null;
    if (r.process_id !== null && r.process_id !== undefined && !(Number.isInteger(r.process_id) && r.process_id > 1)) return null;
    return {
      agent_id: r.agent_id,
      agent_type: r.agent_type,
      issue_id: r.issue_id,
      project_id: r.project_id ?? '',
      task: r.task ?? '',
      priority: r.priority ?? 'normal',
      status: r.status,
      process_id: r.process_id ?? null,
      process_start_ticks: typeof r.process_start_ticks === 'number' ? r.process_start_ticks : null,
      boot_id: r.boot_id ?? null,
      exit_code: r.exit_code ?? null,
      signal: r.signal ?? null,
      reason: r.reason ?? null,
      error: r.error ?? null,
      context_injected: r.context_injected ?? false,
      timeout_seconds: r.timeout_seconds ?? 0,
      created_at: r.created_at,
      started_at: r.started_at ?? null,
      ended_at: r.ended_at ?? null,
      duration_ms: r.duration_ms ?? null,
      log_dropped_bytes: r.log_dropped_bytes ?? { stdout: 0, stderr: 0 },
      schema: 1,
    };
  } catch {
    return null;
  }
}
