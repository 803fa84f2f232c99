import { Args, Flags } from '@oclif/core';
import { BaseCommand, EXIT } from '../../cli/base-command.js';
import { ContextClient, type ClearCacheResponse } from '../../client/context-client.js';

export default class ClearCache extends BaseCommand<typeof ClearCache> {
  static override summary = 'Drop cached contexts of one issue, or all of them';
  static override description = 'Contexts are kept fresh by the file watcher; clearing is only needed to force a rebuild. Nothing cached is not an error.';
  static override examples = ['<%= config.bin %> orchestration clear-cache ISSUE-42', '<%= config.bin %> orchestration clear-cache --all --json'];

  static override args = {
    issue_id: Args.string({ description: 'Issue whose cached contexts are dropped' }),
  };

  static override flags = {
    all: Flags.boolean({ description: 'Drop every cached context' }),
  };

  async run(): Promise<ClearCacheResponse> {
    const issue = this.args.issue_id;
    if (Boolean(issue) === Boolean(this.flags.all)) this.error('Give an issue id or --all (not both)', { exit: EXIT.failure });
    const contexts = new ContextClient(await this.client());
    const res = issue ? await contexts.clearIssue(issue) : await contexts.clearAll();
    const what = issue ? `issue ${issue}` : 'all issues';
    this.say(res.cleared ? `Cleared ${res.entries_removed} cached contexts of ${what} (${res.bytes_freed} bytes freed)` : `Nothing was cached for ${what}`);
    return res;
  }
}
