// Every API call of the page: the token goes in the Authorization header only, never in a URL.
export class Api {
  constructor(token, onUnauthorized) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...extra };
  }

  async request(method, path) {
    let res;
    try {
      res = await fetch(path, { method, headers: this.headers(), cache: 'no-store' });
    } catch {
      return { status: 0, body: null };
    }
    const body = await res.json().catch(() => null);
    if (res.status === 401) this.onUnauthorized(body);
    return { status: res.status, body };
  }

  get(path) {
    return this.request('GET', path);
  }

  del(path) {
    return this.request('DELETE', path);
  }
}

/** `/health` needs no token. */
export async function getHealth() {
  try {
    const res = await fetch('/health', { cache: 'no-store' });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch {
    return { status: 0, body: null };
  }
}
