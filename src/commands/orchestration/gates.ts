import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { listGates, type GateList } from '../../client/coordination-api.js';
import { gateTable } from '../../cli/coordination-views.js';

export default class Gates extends BaseCommand<typeof Gates> {
  static override summary = 'List gates, oldest first (GET /api/gates)';
  static override examples = ['<%= config.bin %> orchestration gates --issue ISSUE-42', '<%= config.bin %> orchestration gates --state waiting --json'];
  static override flags = {
    issue: Flags.string({ description: 'Only gates of this issue' }),
    state: Flags.string({ description: 'Only gates in this state', options: ['waiting', 'open', 'expired'] }),
  };

  async run(): Promise<GateList> {
    const f = this.flags;
    const list = await listGates(await this.client(), { ...(f.issue ? { issue_id: f.issue } : {}), ...(f.state ? { state: f.state } : {}) });
    this.say(list.gates.length === 0 ? 'No gates' : gateTable(list.gates));
    return list;
  }
}
