import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { defaultPermissionsFor, isPermission, PERMISSIONS, type Permission } from '../../auth/permissions.js';
import { signLocalToken } from '../../cli/operator-token.js';
import { TokenLifetimeError } from '../../auth/token-service.js';
import { SAFE_ID_MESSAGE, isSafeId } from '../../contract/ids.js';

export default class Token extends BaseCommand<typeof Token> {
  static override summary = 'Print a JWT signed with the local key (for an agent or a script)';
  static override description = 'Prints only the token. Defaults (project id) come from the running sidecar in the storage dir.';
  static override examples = [
    'export JWT_TOKEN=$(<%= config.bin %> orchestration token --agent-type python-specialist --issue ISSUE-42)',
    '<%= config.bin %> orchestration token --agent-type ci --permissions read_results,subscribe_events --ttl 600',
  ];

  static override flags = {
    'agent-type': Flags.string({ description: 'Agent type the token acts as', required: true }),
    issue: Flags.string({ description: 'Limit the token to this issue' }),
    'project-id': Flags.string({ description: "Project id (default: the running sidecar's)" }),
    permissions: Flags.string({ description: `Comma-separated permissions (default: the agent type's default grants); one of ${PERMISSIONS.join(', ')}` }),
    admin: Flags.boolean({ description: 'Grant admin (implies every permission)' }),
    ttl: Flags.integer({ description: "Lifetime in seconds (at most the sidecar's max_token_ttl_seconds, default 86400)", default: 3600, min: 60 }),
    sub: Flags.string({ description: 'Subject (agent id) (default: <agent-type>-cli)' }),
  };

  async run(): Promise<{ token: string; expires_at: string; jti: string }> {
    const f = this.flags;
    for (const [name, value] of [
      ['agent-type', f['agent-type']],
      ['issue', f.issue],
      ['project-id', f['project-id']],
    ] as const) {
      if (value !== undefined && !isSafeId(value)) this.error(`--${name} ${SAFE_ID_MESSAGE}`, { exit: 2 });
    }
    let permissions: Permission[] = f.permissions
      ? f.permissions
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
          .map((p) => {
            if (!isPermission(p)) this.error(`Unknown permission '${p}'; use ${PERMISSIONS.join(', ')}`, { exit: 2 });
            return p;
          })
      : defaultPermissionsFor(f['agent-type']);
    if (f.admin) permissions = [...new Set<Permission>([...permissions, 'admin'])];
    const minted = await signLocalToken(this.settings(), {
      sub: f.sub ?? `${f['agent-type']}-cli`,
      agent_type: f['agent-type'],
      permissions,
      ttl_seconds: f.ttl,
      ...(f.issue ? { issue_id: f.issue } : {}),
      ...(f['project-id'] ? { project_id: f['project-id'] } : {}),
    }).catch((err: unknown) => {
      if (err instanceof TokenLifetimeError)
        this.error(
          `--ttl ${err.requested} is over the sidecar's maximum token lifetime of ${err.max} s (max_token_ttl_seconds); ask for a shorter --ttl or raise max_token_ttl_seconds in the sidecar's config`,
          { exit: 2 },
        );
      throw err;
    });
    if (!this.jsonEnabled()) process.stdout.write(`${minted.token}\n`);
    return { token: minted.token, expires_at: minted.expires_at, jti: minted.jti };
  }
}
