/**
 * A load process for the SSE benchmark: keeps `count` `GET /api/events/stream` connections open
 * and reports every event id received to the parent over IPC (batched), with its receive time on
 * the shared wall clock (`performance.timeOrigin + performance.now()`), taken when the chunk is read.
 *
 * argv: <url> <count> <token> <query>
 */
import http from 'node:http';

const [url, countText, token, query] = process.argv.slice(2);
const count = Number(countText);
const base = new URL(url!);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const pending: Array<{ t: number; id: string }> = [];
let open = 0;

function flush(): void {
  if (pending.length > 0) process.send?.({ answers: pending.splice(0) });
}

function connect(): void {
  const req = http.get(
    {
      host: base.hostname,
      port: base.port,
      path: `/api/events/stream?${query}`,
      agent,
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    },
    (res) => {
      if (res.statusCode !== 200) {
        process.send?.({ error: `stream answered ${res.statusCode}` });
        return;
      }
      open++;
      if (open === count) process.send?.({ open });
      res.setEncoding('utf8');
      let rest = '';
      res.on('data', (chunk: string) => {
        const t = performance.timeOrigin + performance.now();
        const text = rest + chunk;
        const cut = text.lastIndexOf('\n');
        rest = text.slice(cut + 1);
        for (const line of text.slice(0, cut + 1).split('\n')) {
          if (line.startsWith('id: ')) pending.push({ t, id: line.slice(4) });
        }
        if (pending.length === 1) setImmediate(flush);
      });
    },
  );
  req.on('error', () => undefined);
}

for (let i = 0; i < count; i++) connect();
process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'stop') {
    agent.destroy();
    process.exit(0);
  }
});
