import { Args } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { deleteIssue, type DeleteIssueResponse } from '../../../client/issues-api.js';
import { SAFE_ID_MESSAGE, isSafeId } from '../../../contract/ids.js';

export default class IssueDelete extends BaseCommand<typeof IssueDelete> {
  static override summary = 'Delete an issue (DELETE /api/issues/:issue_id); its revisions are kept';
  static override examples = ['<%= config.bin %> orchestration issue delete ISSUE-42'];

  static override args = {
    issue_id: Args.string({ description: 'Issue id', required: true }),
  };

  async run(): Promise<DeleteIssueResponse> {
    const issueId = this.args.issue_id;
    if (!isSafeId(issueId)) this.error(`issue_id ${SAFE_ID_MESSAGE}`, { exit: 2 });
    const res = await deleteIssue(await this.client(), issueId);
    this.say(`Deleted ${issueId} (revision ${res.revision})`);
    return res;
  }
}
