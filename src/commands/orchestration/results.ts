import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { listResults, type ListResultsQuery, type ResultsPage } from '../../client/results-api.js';
import { RESULT_STATUSES } from '../../results/result-store.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

export default class Results extends BaseCommand<typeof Results> {
  static override summary = 'List stored results, newest first (GET /api/results)';
  static override examples = [
    '<%= config.bin %> orchestration results --issue ISSUE-42',
    '<%= config.bin %> orchestration results --agent-type test-engineer --status failed --limit 10 --json',
  ];

  static override flags = {
    issue: Flags.string({ description: 'Only this issue' }),
    'agent-type': Flags.string({ description: 'Only this agent type' }),
    status: Flags.string({ description: 'Only this status', options: [...RESULT_STATUSES] }),
    limit: Flags.integer({ description: 'At most this many (1-1000)', default: 50, min: 1, max: 1000 }),
    latest: Flags.boolean({ description: 'Only the newest result of each issue and agent type' }),
    'project-id': Flags.string({ description: "Project (default: the token's; another one needs admin)" }),
    since: Flags.string({ description: 'Only results timestamped at or after this ISO 8601 time' }),
    until: Flags.string({ description: 'Only results timestamped before this ISO 8601 time' }),
    cursor: Flags.string({ description: 'next_cursor of a previous page' }),
  };

  async run(): Promise<ResultsPage> {
    const f = this.flags;
    const query: ListResultsQuery = {
      issue_id: f.issue,
      agent_type: f['agent-type'],
      project_id: f['project-id'],
      since: f.since,
      until: f.until,
      cursor: f.cursor,
      limit: f.limit,
      ...(f.status ? { status: f.status as ListResultsQuery['status'] } : {}),
      ...(f.latest ? { latest: true } : {}),
    };
    const page = await listResults(await this.client(), query);
    if (page.results.length === 0) {
      this.say('No results');
    } else {
      this.say(
        table([
          ['ID', 'STORED', 'ISSUE', 'AGENT TYPE', 'AGENT', 'STATUS'],
          ...page.results.map((r) => [r.id, r.stored_at, r.issue_id, r.agent_type, r.agent_id, r.result.status]),
        ]),
      );
    }
    if (page.next_cursor) this.say(`More: --cursor ${page.next_cursor}`);
    return page;
  }
}
