/**
 * Redact secret-looking values inside files that are otherwise fine to send. Runs in the build
 * worker on the whole file before any truncation, so a key block is never half cut and half
 * sent. Each rule keeps the surrounding syntax (the key name, quotes) and replaces only the
 * value with `[REDACTED:<kind>]`, so the agent still sees the shape of the code.
 */

interface Rule {
  kind: string;
  re: RegExp;
  /** Builds the replacement from the match groups; default replaces the whole match. */
  replace?: (match: string, ...groups: string[]) => string;
}

const mark = (kind: string): string => `[REDACTED:${kind}]`;

// Words that are code, not secrets, when they appear unquoted after `password =` / `token:`.
const NOT_A_VALUE =
  /^(string|str|number|int|integer|bool|boolean|null|none|nil|undefined|true|false|any|object|bytes|char|text|varchar|optional|required|secret|password|self|this|new|env|process|os|function|lambda|return|await|get|input|field|type|config|settings|params|props|args|kwargs|value|values|\$\{.*\}|\{\{.*\}\}|<[^>]*>|\*+|x+|\.\.\.|changeme|example|placeholder|redacted)$/i;

const RULES: Rule[] = [
  {
    kind: 'private-key',
    re: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY(?: BLOCK)?-----|$)/g,
    replace: () => mark('private-key'),
  },
  { kind: 'aws-access-key-id', re: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b/g },
  {
    kind: 'aws-secret-access-key',
    re: /((?:aws_?)?secret_?access_?key["']?\s*[:=]\s*["']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    replace: (_m, pre) => `${pre}${mark('aws-secret-access-key')}`,
  },
  { kind: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: 'gitlab-token', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/g },
  { kind: 'slack-token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { kind: 'slack-webhook', re: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g },
  { kind: 'stripe-key', re: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { kind: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'openai-key', re: /\bsk-(?:proj-|ant-(?:api\d+-)?)?[A-Za-z0-9_-]{20,}\b/g },
  { kind: 'npm-token', re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: 'pypi-token', re: /\bpypi-[A-Za-z0-9_-]{50,}\b/g },
  { kind: 'sendgrid-key', re: /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\b/g },
  { kind: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g },
  {
    kind: 'bearer-token',
    re: /\b(Bearer|Token)(\s+)([A-Za-z0-9\-._~+/]{16,}=*)/g,
    replace: (_m, word, sp) => `${word}${sp}${mark('bearer-token')}`,
  },
  {
    kind: 'basic-auth',
    re: /\b(Basic)(\s+)([A-Za-z0-9+/]{12,}={0,2})(?![A-Za-z0-9+/=])/g,
    replace: (_m, word, sp) => `${word}${sp}${mark('basic-auth')}`,
  },
  {
    // scheme://user:password@host → keep the user, drop the password.
    kind: 'url-credentials',
    re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"`]+:)([^\s@/'"`]{1,256})(@)/gi,
    replace: (_m, pre, _pw, at) => `${pre}${mark('url-credentials')}${at}`,
  },
  {
    // password = "…", api_key: '…', "client_secret": "…" — quoted literal values.
    kind: 'secret-assignment',
    re: /((?:["']?)[A-Za-z0-9_.-]*(?:passw(?:or)?d|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|private[_-]?key|client[_-]?secret|token)[A-Za-z0-9_.-]*(?:["']?)\s*(?::=|=>|=|:)\s*)(["'`])([^"'`\r\n]{4,})\2/gi,
    replace: (m, pre, q, value) => (NOT_A_VALUE.test(value.trim()) || value.startsWith('[REDACTED:') ? m : `${pre}${q}${mark('secret')}${q}`),
  },
  {
    // KEY=value / key: value at the start of a line (env files, YAML, INI, shell exports).
    kind: 'secret-assignment',
    re: /^(\s*(?:export\s+)?[A-Za-z0-9_.-]*(?:PASSW(?:OR)?D|PASSPHRASE|PWD|SECRET|API[_-]?KEY|APIKEY|ACCESS[_-]?KEY|AUTH[_-]?TOKEN|ACCESS[_-]?TOKEN|REFRESH[_-]?TOKEN|PRIVATE[_-]?KEY|CLIENT[_-]?SECRET|TOKEN)[A-Za-z0-9_.-]*\s*[:=]\s*)([^\s"'`#][^\s#]{3,})\s*$/gim,
    replace: (m, pre, value) => (NOT_A_VALUE.test(value) || value.startsWith('[REDACTED:') || /[()[\]{};,]/.test(value) ? m : `${pre}${mark('secret')}`),
  },
];

/** Cheap pre-check: files without any of these substrings cannot match a rule. */
const TRIGGER =
  /PRIVATE KEY|A3T|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|gh[pousr]_|github_pat_|glpat-|xox|hooks\.slack|_live_|_test_|AIza|sk-|npm_|pypi-|SG\.|eyJ|Bearer|Token|Basic|:\/\/|passw|passphrase|pwd|secret|key|token/i;

/**
 * Replace secret-looking values in `text`.
 *
 * @example redactSecrets('password = "hunter22"').text === 'password = "[REDACTED:secret]"'
 */
export function redactSecrets(text: string): { text: string; count: number } {
  if (!TRIGGER.test(text)) return { text, count: 0 };
  let count = 0;
  let out = text;
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, (match: string, ...rest: unknown[]) => {
      const groups = rest.slice(0, -2) as string[];
      const replaced = rule.replace ? rule.replace(match, ...groups) : mark(rule.kind);
      if (replaced !== match) count++;
      return replaced;
    });
  }
  return { text: out, count };
}
