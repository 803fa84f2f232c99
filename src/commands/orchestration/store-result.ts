import { promises as fsp } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { storeResult, type StoreResultRequest, type StoreResultResponse } from '../../client/results-api.js';
import { SAFE_ID_MESSAGE, isSafeId } from '../../contract/ids.js';

const USAGE = 2;

/** The `sub` of a JWT, read without verifying (the sidecar verifies); undefined if not a JWT. */
function tokenSubject(token: string | undefined): string | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

export default class StoreResult extends BaseCommand<typeof StoreResult> {
  static override summary = "Store an agent's result (POST /api/results)";
  static override description = [
    'The file holds the result object ({"status": "success"|"failed"|"partial", …free-form fields}),',
    'or a whole request body with a "result" field (its agent_id and timestamp are used). Use --file - for stdin.',
    "The agent id defaults to the token's subject, else <agent_type>-cli.",
  ].join(' ');

  static override examples = [
    '<%= config.bin %> orchestration store-result ISSUE-42 python-specialist --file result.json',
    'echo \'{"status":"failed","errors":["build broke"]}\' | <%= config.bin %> orchestration store-result ISSUE-42 test-engineer --file - --json',
  ];

  static override args = {
    issue_id: Args.string({ description: 'Issue the result belongs to', required: true }),
    agent_type: Args.string({ description: 'Agent type that produced it', required: true }),
  };

  static override flags = {
    file: Flags.string({ description: 'JSON file with the result (- for stdin)', required: true }),
    'agent-id': Flags.string({ description: "Agent id (default: the token's subject, else <agent_type>-cli)" }),
    'project-id': Flags.string({ description: "Project id (default: the token's project)" }),
  };

  async run(): Promise<StoreResultResponse> {
    const { issue_id: issueId, agent_type: agentType } = this.args;
    for (const [name, value] of [
      ['issue_id', issueId],
      ['agent_type', agentType],
      ['--project-id', this.flags['project-id']],
    ] as const) {
      if (value !== undefined && !isSafeId(value)) this.error(`${name} ${SAFE_ID_MESSAGE}`, { exit: USAGE });
    }
    const parsed = await this.readJson(this.flags.file);
    const wrapped = 'result' in parsed && !('status' in parsed);
    const result = (wrapped ? parsed.result : parsed) as StoreResultRequest['result'];
    if (!result || typeof result !== 'object' || Array.isArray(result)) this.error('The "result" field must be a JSON object', { exit: USAGE });

    const settings = this.settings();
    const body: StoreResultRequest = {
      agent_id:
        this.flags['agent-id'] ??
        (wrapped && typeof parsed.agent_id === 'string' ? parsed.agent_id : undefined) ??
        tokenSubject(settings.token) ??
        `${agentType}-cli`,
      agent_type: agentType,
      issue_id: issueId,
      result,
      ...(this.flags['project-id'] ? { project_id: this.flags['project-id'] } : {}),
      ...(wrapped && typeof parsed.timestamp === 'string' ? { timestamp: parsed.timestamp } : {}),
    };
    const res = await storeResult(await this.client(), body);
    const next = res.next_agents.length ? res.next_agents.map((n) => `  ${n.agent_type} (${n.priority}): ${n.reason}`).join('\n') : '  none';
    this.say(
      [
        `Stored result ${res.id} (${result.status}) at ${res.storage_path}`,
        res.event_published ? `Published ${result.status === 'failed' ? 'agent_failed' : 'agent_completed'} ${res.event_id}` : 'No event published',
        `Next agents:\n${next}`,
      ].join('\n'),
    );
    return res;
  }

  private async readJson(file: string): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = file === '-' ? await this.readStdin() : await fsp.readFile(file, 'utf8');
    } catch (err) {
      this.error(`Cannot read ${file}: ${(err as Error).message}`, { exit: USAGE });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.error(`${file} is not valid JSON: ${(err as Error).message}`, { exit: USAGE });
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) this.error(`${file} must hold a JSON object`, { exit: USAGE });
    return value as Record<string, unknown>;
  }

  private async readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
}
