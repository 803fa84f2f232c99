import type { TestServer } from '../helpers/test-server.js';

/** Every buffered event of these types, in publish order. */
export async function eventsOf(s: TestServer, types: string[]): Promise<any[]> {
  const res = await s.request('GET', '/api/events?type=*&topic=coordination&limit=1000', { token: s.adminToken });
  return (res.body.events as any[]).filter((e) => types.includes(e.event_type));
}

export async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 5_000, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function acquire(s: TestServer, token: string, body: Record<string, unknown>) {
  return s.request('POST', '/api/leases', { token, body });
}
