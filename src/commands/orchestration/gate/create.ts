import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { createGate, type GateView } from '../../../client/coordination-api.js';
import { gateLine } from '../../../cli/coordination-views.js';

const STATUSES = new Set(['success', 'failed', 'partial']);

export default class GateCreate extends BaseCommand<typeof GateCreate> {
  static override summary = 'Create a gate that opens when every expected agent type has stored a result for the issue';
  static override description =
    'Results stored before the gate count. Each --expect entry is an agent type, optionally with ' +
    'the status it must report (type:status, default success).';
  static override examples = [
    '<%= config.bin %> orchestration gate create --issue ISSUE-42 --expect test-engineer,security-auditor,code-reviewer --timeout 3600',
    '<%= config.bin %> orchestration gate create --issue ISSUE-42 --expect test-engineer:failed --id qa-failed --json',
  ];
  static override flags = {
    issue: Flags.string({ description: 'Issue id', required: true }),
    expect: Flags.string({ description: 'Comma-separated agent types (type or type:status)', required: true }),
    timeout: Flags.integer({ description: 'Expire after this many seconds', min: 1, max: 604_800 }),
    id: Flags.string({ description: 'Gate id (default: generated); creating the same gate again is harmless' }),
  };

  async run(): Promise<GateView> {
    const f = this.flags;
    const expect = f.expect
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((item) => {
        const [agentType, status] = item.split(':');
        if (status !== undefined && !STATUSES.has(status)) this.error(`--expect ${item}: status must be success, failed or partial`, { exit: 2 });
        return { agent_type: agentType!, ...(status ? { status: status as 'success' | 'failed' | 'partial' } : {}) };
      });
    if (expect.length === 0) this.error('--expect names no agent type', { exit: 2 });
    const gate = await createGate(await this.client(), {
      issue_id: f.issue,
      expect,
      ...(f.timeout ? { timeout_seconds: f.timeout } : {}),
      ...(f.id ? { gate_id: f.id } : {}),
    });
    this.say(`Gate ${gateLine(gate)}`);
    this.say(`  wait: ${this.config.bin} orchestration gate wait ${gate.gate_id}`);
    return gate;
  }
}
