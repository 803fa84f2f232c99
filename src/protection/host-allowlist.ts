import os from 'node:os';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** Host name of a `Host` header value, lower-cased, without port or IPv6 brackets; undefined if malformed. */
export function hostnameOf(hostHeader: string): string | undefined {
  const value = hostHeader.trim().toLowerCase();
  if (value === '') return undefined;
  if (value.startsWith('[')) {
    const m = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(value);
    return m ? m[1] : undefined;
  }
  const m = /^([a-z0-9._-]+)(?::(\d{1,5}))?$/.exec(value);
  return m ? m[1] : undefined;
}

/**
 * The host names this sidecar answers to, whatever the port: localhost, 127.0.0.1 and [::1], the
 * configured `host`, every name in `allowed_hosts`, and, when bound to a wildcard address, this
 * machine's interface addresses. A browser page on an attacker's domain that re-binds its DNS
 * name to 127.0.0.1 still sends its own name in `Host`, so it is refused (DNS rebinding).
 *
 * @example hostAllowed(allowlist({ host: '127.0.0.1', allowed_hosts: [] }), 'localhost:3001') // true
 */
export function allowlist(config: { host: string; allowed_hosts: readonly string[] }): ReadonlySet<string> {
  const names = new Set<string>(LOOPBACK_NAMES);
  const add = (name: string): void => {
    const host = hostnameOf(name.includes(':') && !name.startsWith('[') && name.split(':').length > 2 ? `[${name}]` : name);
    if (host) names.add(host);
  };
  add(config.host);
  for (const name of config.allowed_hosts) add(name);
  if (WILDCARD.has(config.host)) {
    for (const addresses of Object.values(os.networkInterfaces())) {
      for (const a of addresses ?? []) names.add(a.address.toLowerCase().replace(/%.*$/, ''));
    }
  }
  return names;
}

export function hostAllowed(names: ReadonlySet<string>, hostHeader: string | undefined): boolean {
  const host = hostHeader === undefined ? undefined : hostnameOf(hostHeader);
  return host !== undefined && names.has(host);
}
