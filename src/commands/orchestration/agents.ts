import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { listAgents, type AgentListResponse } from '../../client/agents-api.js';
import { AGENT_STATUSES } from '../../agents/types.js';

/** `1h02m`, `3m05s`, `42s`; `-` before the start. */
export function formatUptime(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(s / 3600);
  return `${h}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A plain left-aligned text table. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export default class Agents extends BaseCommand<typeof Agents> {
  static override summary = 'List agents (running, queued and finished), newest first';
  static override examples = ['<%= config.bin %> orchestration agents', '<%= config.bin %> orchestration agents --status running --issue ISSUE-42'];

  static override flags = {
    status: Flags.option({ description: 'Only agents with this status', options: AGENT_STATUSES })(),
    type: Flags.string({ description: 'Only agents of this type' }),
    issue: Flags.string({ description: 'Only agents working on this issue' }),
    limit: Flags.integer({ description: 'At most this many', default: 100, min: 1, max: 1000 }),
  };

  async run(): Promise<AgentListResponse> {
    const f = this.flags;
    const client = await this.client();
    const res = await listAgents(client, { status: f.status, type: f.type, issue_id: f.issue, limit: f.limit });
    if (res.agents.length === 0) {
      this.say('No agents');
      return res;
    }
    const rows = res.agents.map((a) => [
      a.agent_id,
      a.agent_type,
      a.issue_id,
      a.status,
      a.node_id ?? '-',
      a.process_id === null ? '-' : String(a.process_id),
      formatUptime(a.uptime_ms),
      a.exit_code === null ? (a.signal ?? '-') : String(a.exit_code),
      a.created_at,
    ]);
    this.say(renderTable(['ID', 'TYPE', 'ISSUE', 'STATUS', 'NODE', 'PID', 'UPTIME', 'EXIT', 'CREATED'], rows));
    if (res.total > res.agents.length) this.say(`(${res.agents.length} of ${res.total}; raise --limit to see more)`);
    return res;
  }
}
