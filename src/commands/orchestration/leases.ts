import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { listLeases, type LeaseList } from '../../client/coordination-api.js';
import { leaseTable } from '../../cli/coordination-views.js';

export default class Leases extends BaseCommand<typeof Leases> {
  static override summary = 'List live leases, oldest grant first (GET /api/leases)';
  static override examples = ['<%= config.bin %> orchestration leases', '<%= config.bin %> orchestration leases --path src/api --json'];
  static override flags = {
    path: Flags.string({ description: 'Only leases on this path, its ancestors or descendants' }),
    holder: Flags.string({ description: 'Only this holder (agent id / token sub)' }),
    issue: Flags.string({ description: 'Only leases taken for this issue' }),
  };

  async run(): Promise<LeaseList> {
    const f = this.flags;
    const list = await listLeases(await this.client(), { path: f.path, holder: f.holder, issue_id: f.issue });
    this.say(list.leases.length === 0 ? 'No leases' : leaseTable(list.leases));
    return list;
  }
}
