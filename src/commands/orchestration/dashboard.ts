import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { signLocalToken, sidecarUrl } from '../../cli/operator-token.js';
import { TokenLifetimeError } from '../../auth/token-service.js';
import { openBrowser } from '../../cli/open-browser.js';
import { DASHBOARD_AGENT_TYPE, DASHBOARD_MANAGE_PERMISSIONS, DASHBOARD_READ_PERMISSIONS } from '../../dashboard/dashboard-grants.js';

const MAX_TTL_S = 30 * 86_400;
const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** `90`, `90s`, `30m`, `8h`, `2d` → seconds; undefined when malformed or out of 60 s..30 d. */
export function parseTtl(text: string): number | undefined {
  const m = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * UNITS[m[2] || 's']!;
  return seconds >= 60 && seconds <= MAX_TTL_S ? seconds : undefined;
}

export interface DashboardResult {
  url: string;
  expires_at: string;
  jti: string;
  permissions: string[];
  opened: boolean;
}

export default class Dashboard extends BaseCommand<typeof Dashboard> {
  static override summary = 'Print (and on a desktop, open) the address of the live dashboard, with a fresh token';
  static override description = [
    'Mints a token with the local key: read and manage agents by default, read-only with --read-only; never admin.',
    "The token travels in the address's #fragment, which the browser never sends to a server; the page keeps it",
    "in the tab's sessionStorage and removes it from the address bar.",
  ].join('\n');

  static override examples = ['<%= config.bin %> orchestration dashboard', '<%= config.bin %> orchestration dashboard --ttl 30m --read-only --no-open'];

  static override flags = {
    ttl: Flags.string({ description: 'How long the token lasts: seconds, or with a unit (30m, 8h, 2d); 60 s to 30 d', default: '8h' }),
    'read-only': Flags.boolean({ description: 'A token that sees everything but cannot list, read logs of or stop agents', default: false }),
    open: Flags.boolean({ description: "Open the address in the desktop's browser (only when a display exists)", default: true, allowNo: true }),
  };

  async run(): Promise<DashboardResult> {
    const ttl = parseTtl(this.flags.ttl);
    if (ttl === undefined) this.error('--ttl must be seconds or a number with s, m, h or d, between 60 s and 30 d (e.g. 8h)', { exit: 2 });
    const settings = this.settings();
    const permissions = [...(this.flags['read-only'] ? DASHBOARD_READ_PERMISSIONS : DASHBOARD_MANAGE_PERMISSIONS)];
    let minted;
    try {
      minted = await signLocalToken(settings, { sub: DASHBOARD_AGENT_TYPE, agent_type: DASHBOARD_AGENT_TYPE, permissions, ttl_seconds: ttl });
    } catch (err) {
      if (err instanceof TokenLifetimeError)
        this.error(
          `--ttl ${err.requested} s is over the sidecar's maximum token lifetime of ${err.max} s (max_token_ttl_seconds); ask for a shorter --ttl or raise max_token_ttl_seconds in the sidecar's config`,
          { exit: 2 },
        );
      throw err;
    }
    const { url: base } = await sidecarUrl(settings);
    const url = `${base}/dashboard#token=${minted.token}`;
    const opened = this.flags.open && settings.desktop === true ? await openBrowser(url) : false;
    this.say(url);
    this.say(
      `${this.flags['read-only'] ? 'read-only' : 'read + manage agents'} token, valid until ${minted.expires_at}` +
        `${opened ? ' (opened in your browser)' : ''}. Anyone with this address can use it until then.`,
    );
    return { url, expires_at: minted.expires_at, jti: minted.jti, permissions, opened };
  }
}
