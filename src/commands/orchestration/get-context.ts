import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { BaseCommand } from '../../cli/base-command.js';
import { ContextClient, type ContextResponse } from '../../client/context-client.js';
import { writeFileAtomic } from '../../storage/atomic-write.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(2)} MiB`;
}

/** A spinner on stderr, shown only on a TTY and only if the answer takes a moment (a cold build). */
function spinner(enabled: boolean, text: string): () => void {
  if (!enabled) return () => undefined;
  let frame = 0;
  let shown = false;
  const tick = (): void => {
    shown = true;
    process.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]} ${text}`);
  };
  let interval: NodeJS.Timeout | undefined;
  const delay = setTimeout(() => {
    tick();
    interval = setInterval(tick, 80);
  }, 150);
  return () => {
    clearTimeout(delay);
    if (interval) clearInterval(interval);
    if (shown) process.stderr.write('\r\x1b[2K');
  };
}

export default class GetContext extends BaseCommand<typeof GetContext> {
  static override summary = 'Fetch the context an agent type gets for an issue';
  static override description =
    'Prints a summary (files, sizes, truncation, git, previous outputs); --output writes the full JSON to a file, --json prints it.';
  static override examples = [
    '<%= config.bin %> orchestration get-context ISSUE-42 python-specialist',
    '<%= config.bin %> orchestration get-context ISSUE-42 security-auditor --max-bytes 262144 --output ctx.json',
    '<%= config.bin %> orchestration get-context ISSUE-42 test-engineer --q "login flow" --json',
  ];

  static override args = {
    issue_id: Args.string({ description: 'Issue id', required: true }),
    agent_type: Args.string({ description: 'Agent type (unknown types get the default profile)', required: true }),
  };

  static override flags = {
    'max-bytes': Flags.integer({ description: 'Content budget in bytes (default 512 KiB, at most 10 MiB)', min: 1 }),
    'max-files': Flags.integer({ description: 'At most this many files (default 50)', min: 1, max: 1000 }),
    strategy: Flags.string({ description: 'Truncation strategy', options: ['smart', 'file_sampling', 'none'] }),
    q: Flags.string({ description: 'Free-text hints that raise matching files' }),
    refresh: Flags.boolean({ description: 'Bypass the cache' }),
    output: Flags.string({ char: 'o', description: 'Write the full context JSON to this file (mode 0600)' }),
  };

  async run(): Promise<ContextResponse> {
    const f = this.flags;
    const contexts = new ContextClient(await this.client({ timeoutMs: 120_000 }));
    const stop = spinner(process.stderr.isTTY === true && !this.jsonEnabled(), `building context for ${this.args.agent_type} on ${this.args.issue_id}…`);
    let res: ContextResponse;
    try {
      res = await contexts.get(this.args.issue_id, this.args.agent_type, {
        ...(f['max-bytes'] !== undefined ? { max_bytes: f['max-bytes'] } : {}),
        ...(f['max-files'] !== undefined ? { max_files: f['max-files'] } : {}),
        ...(f.strategy !== undefined ? { strategy: f.strategy as 'smart' | 'file_sampling' | 'none' } : {}),
        ...(f.q !== undefined ? { q: f.q } : {}),
        ...(f.refresh ? { refresh: true } : {}),
      });
    } finally {
      stop();
    }
    if (f.output) {
      const file = path.resolve(f.output);
      await writeFileAtomic(file, JSON.stringify(res, null, 2) + '\n');
      this.say(`Wrote ${file}`);
    }
    this.say(this.summary(res));
    return res;
  }

  private summary(res: ContextResponse): string {
    const c = res.context;
    const lines = [
      `Context for ${res.agent_type} on ${res.issue_id}: ${res.file_count} files, ${kib(res.total_size_bytes)} (~${res.token_estimate} tokens), ` +
        `${res.truncated ? `truncated (${res.truncation_strategy})` : 'not truncated'}, ${res.generation_ms} ms (${res.cache_hit ? 'cache hit' : 'built'})`,
    ];
    const width = Math.min(60, Math.max(...c.relevant_files.map((r) => r.path.length), 4));
    for (const file of c.relevant_files) {
      lines.push(
        `  ${file.path.padEnd(width)}  ${kib(Buffer.byteLength(file.content)).padStart(9)}${file.truncated ? ` of ${kib(file.size)}` : ''}  ${file.reason}`,
      );
    }
    const s = c.project_structure;
    lines.push(
      `  project  ${s.total_files} files (${kib(s.total_size_bytes)}), ${c.metadata.project_types.join(', ') || 'unknown type'}, ${c.metadata.dependencies.length} dependencies`,
    );
    const g = c.git_context;
    lines.push(
      g
        ? `  git      ${g.branch ?? '(detached)'} @ ${g.head?.slice(0, 12) ?? '(no commits)'}, ${g.uncommitted_changes.length} uncommitted, ${g.recent_commits.length} recent commits`
        : '  git      not a git work tree',
    );
    lines.push(`  history  ${c.previous_agent_outputs.length} previous agent outputs`);
    return lines.join('\n');
  }
}
