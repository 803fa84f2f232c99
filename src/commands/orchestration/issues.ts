import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { table } from '../../cli/issue-view.js';
import { listIssues, type IssuePage } from '../../client/issues-api.js';
import { ISSUES_MAX_LIMIT } from '../../contract/issues.js';

export default class Issues extends BaseCommand<typeof Issues> {
  static override summary = 'List issues in id order (GET /api/issues)';
  static override examples = ['<%= config.bin %> orchestration issues', '<%= config.bin %> orchestration issues --label bug --json'];

  static override flags = {
    label: Flags.string({ description: 'Only issues with this label' }),
    limit: Flags.integer({ description: `At most this many (1-${ISSUES_MAX_LIMIT})`, default: 50, min: 1, max: ISSUES_MAX_LIMIT }),
    cursor: Flags.string({ description: 'next_cursor of a previous page' }),
  };

  async run(): Promise<IssuePage> {
    const f = this.flags;
    const page = await listIssues(await this.client(), { label: f.label, limit: f.limit, cursor: f.cursor });
    if (page.issues.length === 0) {
      this.say('No issues');
    } else {
      this.say(
        table([
          ['ID', 'REV', 'UPDATED', 'LABELS', 'TITLE'],
          ...page.issues.map((i) => [i.issue_id, String(i.revision), i.updated_at, i.labels.join(','), i.title]),
        ]),
      );
    }
    if (page.next_cursor) this.say(`More: --cursor ${page.next_cursor}`);
    return page;
  }
}
