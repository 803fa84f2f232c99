import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { formatIssue } from '../../../cli/issue-view.js';
import { getIssue, getIssueRevisions, type Issue, type IssueHistory } from '../../../client/issues-api.js';
import { SAFE_ID_MESSAGE, isSafeId } from '../../../contract/ids.js';

export default class IssueShow extends BaseCommand<typeof IssueShow> {
  static override summary = 'Show an issue (GET /api/issues/:issue_id), or every revision of it with --history';
  static override examples = ['<%= config.bin %> orchestration issue show ISSUE-42', '<%= config.bin %> orchestration issue show ISSUE-42 --history --json'];

  static override args = {
    issue_id: Args.string({ description: 'Issue id', required: true }),
  };

  static override flags = {
    history: Flags.boolean({ description: 'Every stored revision, oldest first (deletions included)' }),
  };

  async run(): Promise<Issue | IssueHistory> {
    const issueId = this.args.issue_id;
    if (!isSafeId(issueId)) this.error(`issue_id ${SAFE_ID_MESSAGE}`, { exit: 2 });
    const client = await this.client();
    if (this.flags.history) {
      const history = await getIssueRevisions(client, issueId);
      this.say(
        history.revisions
          .map((r) => (r.deleted_at ? `revision ${r.revision}: deleted at ${r.deleted_at}` : `revision ${r.revision} (${r.updated_at}): ${r.title}`))
          .join('\n'),
      );
      return history;
    }
    const issue = await getIssue(client, issueId);
    this.say(formatIssue(issue));
    return issue;
  }
}
