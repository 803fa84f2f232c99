import { promises as fsp } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { formatIssue } from '../../../cli/issue-view.js';
import { putIssue, type PutIssueRequest, type PutIssueResult } from '../../../client/issues-api.js';
import { SAFE_ID_MESSAGE, isSafeId } from '../../../contract/ids.js';
import { MAX_ISSUE_TEXT_BYTES } from '../../../contract/issues.js';

const USAGE = 2;

export default class IssueSet extends BaseCommand<typeof IssueSet> {
  static override summary = 'Create or replace an issue (PUT /api/issues/:issue_id)';
  static override description = [
    'Sets the whole issue: a field not given is emptied. Labels may be repeated or comma-separated;',
    'the description comes from --description or a file (--description-file - reads stdin). A text',
    'of 64 KiB or more is refused, never cut. Setting the same text again adds no revision.',
  ].join(' ');

  static override examples = [
    '<%= config.bin %> orchestration issue set ISSUE-42 --title "Login redirects to /404" --label auth,bug --file "src/auth/**"',
    'gh issue view 42 --json body -q .body | <%= config.bin %> orchestration issue set ISSUE-42 --title "Login redirects to /404" --description-file -',
  ];

  static override args = {
    issue_id: Args.string({ description: 'Issue id', required: true }),
  };

  static override flags = {
    title: Flags.string({ description: 'Title (1-300 characters, one line)', required: true }),
    description: Flags.string({ description: 'Description text', exclusive: ['description-file'] }),
    'description-file': Flags.string({ description: 'File holding the description (- for stdin)', exclusive: ['description'] }),
    label: Flags.string({ description: 'Label (repeat, or separate with commas; at most 32)', multiple: true }),
    file: Flags.string({ description: 'Path or glob the issue is about, relative to the project root (repeat; at most 200)', multiple: true }),
    acceptance: Flags.string({ description: 'Acceptance criteria' }),
  };

  async run(): Promise<PutIssueResult> {
    const issueId = this.args.issue_id;
    if (!isSafeId(issueId)) this.error(`issue_id ${SAFE_ID_MESSAGE}`, { exit: USAGE });
    const f = this.flags;
    const description = f['description-file'] !== undefined ? await this.readText(f['description-file']) : f.description;
    const body: PutIssueRequest = {
      title: f.title,
      ...(description !== undefined ? { description } : {}),
      ...(f.label
        ? {
            labels: f.label
              .flatMap((l) => l.split(','))
              .map((l) => l.trim())
              .filter((l) => l.length > 0),
          }
        : {}),
      ...(f.file ? { files: f.file } : {}),
      ...(f.acceptance !== undefined ? { acceptance: f.acceptance } : {}),
    };
    const result = await putIssue(await this.client(), issueId, body);
    this.say(`${result.created ? 'Created' : 'Set'} ${issueId} (revision ${result.issue.revision})\n${formatIssue(result.issue)}`);
    return result;
  }

  private async readText(file: string): Promise<string> {
    let text: string;
    try {
      text = file === '-' ? await this.readStdin() : await fsp.readFile(file, 'utf8');
    } catch (err) {
      this.error(`Cannot read ${file}: ${(err as Error).message}`, { exit: USAGE });
    }
    if (Buffer.byteLength(text) > MAX_ISSUE_TEXT_BYTES)
      this.error(`${file} holds 64 KiB or more; an issue description must be shorter (it is refused, never cut)`, { exit: USAGE });
    return text;
  }

  private async readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
}
