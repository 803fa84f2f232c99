import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { agentLogs, type AgentLogsResponse } from '../../client/agents-api.js';

export default class Logs extends BaseCommand<typeof Logs> {
  static override summary = "Print an agent's output (stdout by default)";
  static override examples = [
    '<%= config.bin %> orchestration logs agt-m1x2y3-0a1b2c3d4e',
    '<%= config.bin %> orchestration logs agt-m1x2y3-0a1b2c3d4e --stream stderr --follow',
  ];

  static override args = {
    id: Args.string({ description: 'Agent id', required: true }),
  };

  static override flags = {
    stream: Flags.string({ description: 'Which output', options: ['stdout', 'stderr'], default: 'stdout' }),
    tail: Flags.integer({ description: 'Start with the last N lines', default: 100, min: 1, max: 10_000 }),
    follow: Flags.boolean({ char: 'f', description: 'Keep printing new output until the agent ends' }),
  };

  async run(): Promise<AgentLogsResponse> {
    const client = await this.client();
    const stream = this.flags.stream as 'stdout' | 'stderr';
    const print = (lines: string[]): void => {
      if (!this.jsonEnabled() && lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    };
    let chunk = await agentLogs(client, this.args.id, { stream, tail: this.flags.tail });
    if (!this.flags.follow) {
      print(chunk.lines);
      return chunk;
    }
    // Follow from where the tail window starts; the server returns complete lines only (a
    // partial last line is held back until it is complete or the agent has ended).
    let offset = chunk.offset;
    const all: string[] = [];
    for (;;) {
      chunk = await agentLogs(client, this.args.id, { stream, offset });
      print(chunk.lines);
      all.push(...chunk.lines);
      offset = chunk.next_offset;
      if (chunk.final && offset >= chunk.size_bytes) break;
      if (!chunk.truncated) await new Promise((r) => setTimeout(r, 300));
    }
    this.say(`-- ${this.args.id} ended: ${chunk.status}`);
    return { ...chunk, lines: all };
  }
}
