import { Args, Flags } from '@oclif/core';
import { BaseCommand, EXIT } from '../../../cli/base-command.js';
import { waitGate, type GateView } from '../../../client/coordination-api.js';
import { gateLine } from '../../../cli/coordination-views.js';

export default class GateWait extends BaseCommand<typeof GateWait> {
  static override summary = 'Wait until a gate opens (exit 0) or expires (exit 1); exit 1 too when --timeout passes first';
  static override examples = [
    '<%= config.bin %> orchestration gate wait gate_m1x2y3_0a1b2c3d4e --timeout 600',
    '<%= config.bin %> orchestration gate wait qa-done --json',
  ];
  static override args = { id: Args.string({ description: 'Gate id', required: true }) };
  static override flags = { timeout: Flags.integer({ description: 'Give up after this many seconds', default: 300, min: 0, max: 86_400 }) };

  async run(): Promise<GateView & { timeout?: true }> {
    const client = await this.client();
    const deadline = Date.now() + this.flags.timeout * 1000;
    // One long-poll is capped by the sidecar (300 s): loop until decided or out of time.
    let gate = await waitGate(client, this.args.id, Math.min(this.flags.timeout * 1000, 300_000));
    while (gate.state === 'waiting' && Date.now() < deadline) gate = await waitGate(client, this.args.id, Math.min(deadline - Date.now(), 300_000));
    this.say(`Gate ${gateLine(gate)}`);
    // Not open (expired, or still waiting at --timeout): the data is still printed, the exit code says so.
    if (gate.state !== 'open') process.exitCode = EXIT.failure;
    return gate;
  }
}
