import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { spawnAgent, type SpawnAgentResponse } from '../../client/agents-api.js';
import { SAFE_ID_MESSAGE, isSafeId } from '../../contract/ids.js';

export default class Spawn extends BaseCommand<typeof Spawn> {
  static override summary = 'Spawn an agent of a configured type for an issue';
  static override description =
    'Only agent types with a command in .cco/orchestration.json ("agents") can be spawned. ' +
    'The agent gets its task, a scoped token and the issue context through its environment.';
  static override examples = [
    '<%= config.bin %> orchestration spawn --type python-specialist --issue ISSUE-42 --task "Fix the failing parser test"',
    '<%= config.bin %> orchestration spawn --type test-engineer --issue ISSUE-42 --task "Cover the parser" --env LOG_LEVEL=debug --priority high',
  ];

  static override flags = {
    type: Flags.string({ description: 'Agent type (must be configured under "agents")', required: true }),
    issue: Flags.string({ description: 'Issue id the agent works on', required: true }),
    task: Flags.string({ description: 'What the agent should do (passed as one argument, never through a shell)', required: true }),
    env: Flags.string({
      description: 'Extra environment variable K=V for the agent (repeatable; code-loading names such as NODE_OPTIONS or LD_PRELOAD are refused)',
      multiple: true,
    }),
    priority: Flags.string({ description: 'Queue priority when all agent slots are busy', options: ['low', 'normal', 'high'], default: 'normal' }),
    context: Flags.string({ description: 'Context requirement hint for the context engine (repeatable)', multiple: true }),
  };

  async run(): Promise<SpawnAgentResponse> {
    const f = this.flags;
    for (const [name, value] of [
      ['type', f.type],
      ['issue', f.issue],
    ] as const) {
      if (!isSafeId(value)) this.error(`--${name} ${SAFE_ID_MESSAGE}`, { exit: 2 });
    }
    const environment: Record<string, string> = {};
    for (const pair of f.env ?? []) {
      const eq = pair.indexOf('=');
      if (eq <= 0) this.error(`--env expects K=V, got '${pair}'`, { exit: 2 });
      environment[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const client = await this.client();
    const res = await spawnAgent(client, {
      agent_type: f.type,
      issue_id: f.issue,
      task: f.task,
      priority: f.priority as 'low' | 'normal' | 'high',
      ...(Object.keys(environment).length > 0 ? { environment } : {}),
      ...(f.context?.length ? { context_requirements: f.context } : {}),
    });
    if (res.status === 'running') {
      this.say(`Spawned ${res.agent_id} (${f.type} on ${f.issue}), pid ${res.process_id}, context ${res.context_injected ? 'injected' : 'not injected'}`);
    } else {
      this.say(`Queued ${res.agent_id} (${f.type} on ${f.issue}) at position ${res.queue_position ?? '?'}: all agent slots are busy`);
    }
    this.say(`  follow: ${this.config.bin} orchestration logs ${res.agent_id} --follow`);
    this.say(`  stop:   ${this.config.bin} orchestration kill ${res.agent_id}`);
    return res;
  }
}
