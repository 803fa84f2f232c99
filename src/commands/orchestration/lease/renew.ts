import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { renewLease, type LeaseView } from '../../../client/coordination-api.js';

export default class LeaseRenew extends BaseCommand<typeof LeaseRenew> {
  static override summary = 'Extend a lease to --ttl seconds from now (the fencing token stays)';
  static override examples = ['<%= config.bin %> orchestration lease renew lse_m1x2y3_0a1b2c3d4e5f --ttl 600'];
  static override args = { id: Args.string({ description: 'Lease id', required: true }) };
  static override flags = { ttl: Flags.integer({ description: 'New lifetime in seconds from now (1-3600)', default: 300, min: 1, max: 3600 }) };

  async run(): Promise<LeaseView> {
    const lease = await renewLease(await this.client(), this.args.id, this.flags.ttl);
    this.say(`Renewed ${lease.lease_id} until ${lease.expires_at}`);
    return lease;
  }
}
