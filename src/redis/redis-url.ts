/**
 * `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`: the form of a Redis URL that
 * may appear in logs, `/status` and error messages (credentials never do).
 */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    else if (u.username && !u.password) u.username = '***';
    return u.toString();
  } catch {
    return '(unparseable redis url)';
  }
}

/** Remove every occurrence of the URL's password from a text (one rule for every backend URL). */
export { scrubSecret as redactSecretIn } from '../util/redact-url.js';
