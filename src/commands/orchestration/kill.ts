import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { agentStatus, killAgent, type KillAgentResponse } from '../../client/agents-api.js';

const FINAL = new Set(['completed', 'failed', 'killed', 'timed_out', 'lost']);

export default class Kill extends BaseCommand<typeof Kill> {
  static override summary = 'Stop an agent: SIGTERM to its process group, SIGKILL after the grace period';
  static override examples = [
    '<%= config.bin %> orchestration kill agt-m1x2y3-0a1b2c3d4e',
    '<%= config.bin %> orchestration kill agt-m1x2y3-0a1b2c3d4e --force',
  ];

  static override args = {
    id: Args.string({ description: 'Agent id', required: true }),
  };

  static override flags = {
    force: Flags.boolean({ description: 'SIGKILL the whole group at once' }),
    wait: Flags.boolean({ description: 'Wait until the agent has ended', default: true, allowNo: true }),
  };

  async run(): Promise<KillAgentResponse & { final_status?: string }> {
    const client = await this.client();
    const res = await killAgent(client, this.args.id, this.flags.force ?? false);
    if (!res.killed) {
      this.say(`${res.agent_id} had already ended (${res.status})`);
      return res;
    }
    this.say(res.signal ? `Sent ${res.signal} to the process group of ${res.agent_id}` : `Removed ${res.agent_id} before it started`);
    if (!this.flags.wait) return res;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await agentStatus(client, res.agent_id);
      if (FINAL.has(status.status)) {
        this.say(`${res.agent_id} is ${status.status}${status.signal ? ` (${status.signal})` : ''}`);
        return { ...res, final_status: status.status };
      }
      if (Date.now() > deadline) this.error(`${res.agent_id} has not ended after 60 s`, { exit: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
