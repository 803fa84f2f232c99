import { Args } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { releaseLease, type LeaseView } from '../../../client/coordination-api.js';

export default class LeaseRelease extends BaseCommand<typeof LeaseRelease> {
  static override summary = 'Release a lease (its holder, manage_agents or admin)';
  static override examples = ['<%= config.bin %> orchestration lease release lse_m1x2y3_0a1b2c3d4e5f'];
  static override args = { id: Args.string({ description: 'Lease id', required: true }) };

  async run(): Promise<LeaseView & { released_at: string }> {
    const res = await releaseLease(await this.client(), this.args.id);
    this.say(`Released ${res.lease_id} (${res.paths.join(', ')})`);
    return res;
  }
}
