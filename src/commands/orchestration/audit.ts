import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { AUDIT_OUTCOMES, escapeUnsafe, type AuditEntry } from '../../audit/audit-entry.js';
import { parseSince, readAudit, type AuditReadResult } from '../../audit/read-audit.js';

/** C0 controls too: a table cell must never move the cursor or recolour the terminal. */
function cell(value: string | number | null | undefined, width?: number): string {
  const text = escapeUnsafe(String(value ?? '-')).replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (width === undefined) return text;
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function row(e: AuditEntry): string {
  const code = e.code ? ` ${e.code}` : '';
  return [
    cell(e.time, 24),
    cell(e.outcome, 7),
    cell(`${e.status ?? '-'}${code}`, 12),
    cell(e.sub, 20),
    cell(e.agent_type, 20),
    cell(e.action, 36),
    cell(e.resource),
  ].join(' ');
}

export default class Audit extends BaseCommand<typeof Audit> {
  static override summary = 'Read the audit log (<storage>/audit.log, rotated files included); no sidecar needed';
  static override description =
    'Shows the newest matching entries, oldest first: every mutating request (an intent line before the ' +
    'handler ran, an outcome line after), every 401/403/421, and actions recorded by components (spawn, kill, start, stop).';
  static override examples = [
    '<%= config.bin %> orchestration audit --since 1h',
    '<%= config.bin %> orchestration audit --outcome denied --limit 20',
    '<%= config.bin %> orchestration audit --sub agent-7 --since 2026-11-23T10:00:00Z --json',
  ];

  static override flags = {
    since: Flags.string({ description: 'Only entries since this time: ISO 8601, or an age such as 90s, 15m, 2h, 7d' }),
    sub: Flags.string({ description: 'Only entries of this token subject (agent id)' }),
    outcome: Flags.string({ description: 'Only entries with this outcome', options: [...AUDIT_OUTCOMES] }),
    limit: Flags.integer({ description: 'Show at most this many (the newest) entries', default: 100, min: 1, max: 1_000_000 }),
  };

  /** Valid JSON, with invisible and bidi characters escaped (the entries may hold hostile text). */
  protected override logJson(json: unknown): void {
    process.stdout.write(`${escapeUnsafe(JSON.stringify(json, null, 2))}\n`);
  }

  async run(): Promise<AuditReadResult> {
    const f = this.flags;
    let since: Date | undefined;
    if (f.since !== undefined) {
      since = parseSince(f.since);
      if (!since) this.error(`--since must be an ISO 8601 time or an age such as 15m, 2h, 7d (got '${f.since}')`, { exit: 2 });
    }
    const result = await readAudit(this.settings().storagePath, {
      ...(since ? { since } : {}),
      ...(f.sub !== undefined ? { sub: f.sub } : {}),
      ...(f.outcome !== undefined ? { outcome: f.outcome as AuditEntry['outcome'] } : {}),
      limit: f.limit,
    });
    if (result.files.length === 0) {
      this.say(`No audit log in ${this.settings().storagePath}`);
      return result;
    }
    const header = [cell('time', 24), cell('outcome', 7), cell('status', 12), cell('sub', 20), cell('agent_type', 20), cell('action', 36), 'resource'].join(
      ' ',
    );
    this.say([header, ...result.entries.map(row)].join('\n'));
    const shown = result.entries.length < result.matched ? ` (newest ${result.entries.length} shown)` : '';
    this.say(`${result.matched} matching entries${shown}${result.unreadable_lines > 0 ? `, ${result.unreadable_lines} unreadable lines` : ''}`);
    return result;
  }
}
