/**
 * A connection URL safe for logs, `/status` and error messages: the password (and a user name
 * that could be a token) is replaced, so a credential never leaves the config it was given in.
 *
 * @example redactUrl('postgres://app:s3cret@db:5432/cco') // 'postgres://app:***@db:5432/cco'
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not parseable: say nothing of its content rather than risk echoing a secret.
    return '(unparseable url)';
  }
  if (url.password) url.password = '***';
  else if (url.username && !url.password && url.protocol.startsWith('redis')) url.username = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/pass|secret|token|key/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}

/** Remove every occurrence of the URL's password from a message (driver errors may quote it). */
export function scrubSecret(message: string, raw: string): string {
  let password: string;
  try {
    password = decodeURIComponent(new URL(raw).password);
  } catch {
    return message;
  }
  return password ? message.split(password).join('***') : message;
}
