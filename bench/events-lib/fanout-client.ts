/**
 * A load process for the fan-out benchmarks: keeps `count` long-polls open against either the
 * sidecar (`GET /api/events/wait/fan?since=<cursor>`) or the bare long-poll server (`GET /wait`),
 * re-issuing each one as soon as it is answered, and reports every answer to the parent over IPC
 * (batched) with its receive time on the shared wall clock (`performance.timeOrigin + performance.now()`).
 *
 * argv: <sidecar|bare> <url> <count> [token]
 */
import http from 'node:http';

const [mode, url, countText, token] = process.argv.slice(2);
const count = Number(countText);
const base = new URL(url!);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
let stopped = false;

function path(cursor: string): string {
  return mode === 'sidecar' ? `/api/events/wait/fan?since=${encodeURIComponent(cursor)}&timeout=120000&limit=10` : '/wait';
}

function poll(cursor: string): void {
  if (stopped) return;
  const req = http.get(
    {
      host: base.hostname,
      port: base.port,
      path: path(cursor),
      agent,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    },
    (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const t = performance.timeOrigin + performance.now();
        if (stopped) return;
        answered.push({ t, text: Buffer.concat(chunks).toString() });
        // Parse, report and re-poll after every answer already readable got its receive time, so
        // the figure measures the server, not this process working through its backlog.
        if (answered.length === 1) setImmediate(drain);
      });
    },
  );
  req.on('error', () => undefined);
}

const answered: Array<{ t: number; text: string }> = [];

function drain(): void {
  const batch = answered.splice(0);
  const report: Array<{ t: number; id: string }> = [];
  const next: string[] = [];
  for (const { t, text } of batch) {
    const body = JSON.parse(text) as { events: Array<{ event_id: string }>; next_cursor: string };
    for (const e of body.events) report.push({ t, id: e.event_id });
    next.push(body.next_cursor);
  }
  process.send?.({ answers: report });
  for (const cursor of next) poll(cursor);
}

for (let i = 0; i < count; i++) poll('now');
process.send?.({ started: count });
process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'stop') {
    stopped = true;
    agent.destroy();
    process.exit(0);
  }
});
