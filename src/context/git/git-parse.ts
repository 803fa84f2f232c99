/**
 * Parsers for the machine formats of git used by the git context (`status --porcelain=v2 -z`,
 * `diff --numstat -z`, `log -z` with a custom format, `config --get-regexp`). Pure functions.
 */

export interface StatusEntry {
  status: string;
  staged: boolean;
  oldPath?: string;
}

export interface ParsedStatus {
  /** null when detached. */
  branch: string | null;
  /** null before the first commit. */
  head: string | null;
  entries: Map<string, StatusEntry>;
}

/** Status word from porcelain v2 `XY`. */
export function statusWord(xy: string): string {
  const x = xy[0] ?? '.';
  const y = xy[1] ?? '.';
  if (x === 'U' || y === 'U' || xy === 'DD' || xy === 'AA') return 'conflicted';
  if (x === 'R') return 'renamed';
  if (x === 'C') return 'copied';
  if (x === 'A') return 'added';
  if (x === 'D' || y === 'D') return 'deleted';
  if (x === 'T' || y === 'T') return 'typechange';
  return 'modified';
}

/**
 * Parse `git status --porcelain=v2 -z --branch`. Paths in that format are relative to the top
 * level; `prefix` (the root relative to the top level, with a trailing slash) is stripped and
 * paths outside the root are dropped.
 */
export function parseStatusV2(out: string, prefix: string): ParsedStatus {
  const fields = out.split('\0');
  let branch: string | null = null;
  let head: string | null = null;
  const entries = new Map<string, StatusEntry>();
  const rel = (p: string): string | null => (prefix === '' ? p : p.startsWith(prefix) ? p.slice(prefix.length) : null);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f === '') continue;
    if (f.startsWith('# branch.oid ')) {
      const v = f.slice('# branch.oid '.length);
      head = v === '(initial)' ? null : v;
    } else if (f.startsWith('# branch.head ')) {
      const v = f.slice('# branch.head '.length);
      branch = v === '(detached)' ? null : v;
    } else if (f.startsWith('1 ')) {
      // 1 XY sub mH mI mW hH hI path
      const parts = splitN(f, ' ', 9);
      const p = rel(parts[8] ?? '');
      if (p) entries.set(p, { status: statusWord(parts[1] ?? '..'), staged: (parts[1] ?? '.')[0] !== '.' });
    } else if (f.startsWith('2 ')) {
      // 2 XY sub mH mI mW hH hI Xscore path \0 origPath
      const parts = splitN(f, ' ', 10);
      const p = rel(parts[9] ?? '');
      const orig = fields[++i] ?? '';
      if (p) {
        const o = rel(orig);
        entries.set(p, { status: statusWord(parts[1] ?? '..'), staged: true, ...(o ? { oldPath: o } : {}) });
      }
    } else if (f.startsWith('u ')) {
      const parts = splitN(f, ' ', 11);
      const p = rel(parts[10] ?? '');
      if (p) entries.set(p, { status: 'conflicted', staged: false });
    } else if (f.startsWith('? ')) {
      const p = rel(f.slice(2));
      if (p) entries.set(p, { status: 'untracked', staged: false });
    }
  }
  return { branch, head, entries };
}

function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let from = 0;
  while (out.length < n - 1) {
    const at = s.indexOf(sep, from);
    if (at < 0) break;
    out.push(s.slice(from, at));
    from = at + sep.length;
  }
  out.push(s.slice(from));
  return out;
}

/** Parse `git diff --numstat -z`: path → added/deleted lines (null for binary files). */
export function parseNumstat(out: string): Map<string, { added: number | null; deleted: number | null }> {
  const map = new Map<string, { added: number | null; deleted: number | null }>();
  const fields = out.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f === '') continue;
    const m = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(f);
    if (!m) continue;
    const added = m[1] === '-' ? null : Number(m[1]);
    const deleted = m[2] === '-' ? null : Number(m[2]);
    let path = m[3]!;
    if (path === '') {
      // Rename: "a\td\t\0old\0new"
      i += 2;
      path = fields[i] ?? '';
    }
    if (path) map.set(path.replace(/\n$/, ''), { added, deleted });
  }
  return map;
}

export interface CommitInfo {
  hash: string;
  message: string;
  author: string;
  timestamp: string;
  files_changed: string[];
}

/** Parse `git log -z --name-only --format=%x1e%H%x1f%an%x1f%aI%x1f%s`. */
export function parseLog(out: string): CommitInfo[] {
  const commits: CommitInfo[] = [];
  for (const chunk of out.split('\x1e')) {
    if (!chunk) continue;
    const nul = chunk.indexOf('\0');
    const header = nul < 0 ? chunk : chunk.slice(0, nul);
    const rest = nul < 0 ? '' : chunk.slice(nul + 1);
    const [hash, author, timestamp, ...subject] = header.split('\x1f');
    if (!hash) continue;
    const files = rest
      .split('\0')
      .map((p) => p.replace(/^\n+/, ''))
      .filter((p) => p.length > 0);
    commits.push({ hash, author: author ?? '', timestamp: timestamp ?? '', message: subject.join('\x1f').trim(), files_changed: files });
  }
  return commits;
}

/** Pick the remote (origin first) from `git config --get-regexp ^remote\..*\.url$`. */
export function parseRemotes(out: string): { name: string; url: string } | null {
  const remotes: Array<{ name: string; url: string }> = [];
  for (const line of out.split('\n')) {
    const m = /^remote\.(.+)\.url (.*)$/.exec(line.trim());
    if (m) remotes.push({ name: m[1]!, url: m[2]! });
  }
  return remotes.find((r) => r.name === 'origin') ?? remotes[0] ?? null;
}

/**
 * A remote URL without credentials: userinfo (user:token@), query and fragment are removed
 * from URLs with a scheme; scp-like `git@host:path` keeps its plain user name.
 *
 * @example stripCredentials('https://user:ghp_x@github.com/o/r.git') === 'https://github.com/o/r.git'
 */
export function stripCredentials(url: string): string {
  const trimmed = url.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    try {
      const u = new URL(trimmed);
      u.username = '';
      u.password = '';
      u.search = '';
      u.hash = '';
      return u.toString();
    } catch {
      // Not parseable by WHATWG URL: drop anything between :// and the last @ of the authority.
      return trimmed.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i, '$1').replace(/[?#].*$/, '');
    }
  }
  const scp = /^([^@/:\s]+)@([^:/\s]+):(.*)$/.exec(trimmed);
  if (scp) {
    const user = scp[1]!;
    // A long or token-shaped "user" is a credential, not a login name.
    return /^[a-z_][a-z0-9_.-]{0,31}$/i.test(user) && !/^gh[pousr]_/.test(user) ? trimmed : `${scp[2]}:${scp[3]}`;
  }
  return trimmed;
}
