import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { acquireLease, type LeaseView } from '../../../client/coordination-api.js';
import { leaseLine } from '../../../cli/coordination-views.js';

export default class LeaseAcquire extends BaseCommand<typeof LeaseAcquire> {
  static override summary = 'Take an exclusive, expiring, fenced lease on paths (POST /api/leases)';
  static override description =
    "A path conflicts with another holder's lease on itself, an ancestor directory or a descendant. " +
    'A conflict exits 1 naming the holder; with --wait the request queues (first come, first served) for up to that long.';
  static override examples = [
    '<%= config.bin %> orchestration lease acquire src/parser.ts src/lexer.ts --ttl 600 --reason "parser rewrite"',
    '<%= config.bin %> orchestration lease acquire src/api --wait 30 --json',
  ];
  static override strict = false;
  static override args = {
    path: Args.string({ description: 'Files or directories relative to the project root (one or more)', required: true }),
  };
  static override flags = {
    ttl: Flags.integer({ description: 'Lifetime in seconds (1-3600)', default: 300, min: 1, max: 3600 }),
    wait: Flags.integer({ description: 'Queue up to this many seconds when a path is leased (0-60)', default: 0, min: 0, max: 60 }),
    reason: Flags.string({ description: 'Why (shown to other agents)' }),
  };

  async run(): Promise<LeaseView> {
    const { argv } = await this.parse(LeaseAcquire);
    const f = this.flags;
    const lease = await acquireLease(await this.client(), {
      paths: argv as string[],
      ttl_seconds: f.ttl,
      ...(f.wait > 0 ? { wait_ms: f.wait * 1000 } : {}),
      ...(f.reason ? { reason: f.reason } : {}),
    });
    this.say(`Leased ${leaseLine(lease)}`);
    return lease;
  }
}
