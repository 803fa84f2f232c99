/**
 * A server under test, run in its own process (pinned to one core by the parent) and driven over
 * IPC: it announces `{ready, url, token?}`, answers `{cmd: 'rss'}` with its RSS after a full GC,
 * `{cmd: 'cpu'}` with its CPU time so far (user + system, µs) and `{cmd: 'stop'}` by closing and exiting.
 *
 * Modes:
 * - `koa-hello`     bare Koa answering "hello" (the first baseline of issue 2 item 10);
 * - `koa-post`      bare Koa + @koa/router + @koa/bodyparser, POST appends the body to an array;
 * - `bare-longpoll` node:http long-poll server: GET /wait holds the response, POST /publish
 *                   writes one pre-serialised body to every held response (the fan-out baseline);
 * - `sidecar`       the real sidecar (auth, validation, journal with the configured fsync policy).
 *                   Extra argv: fsync policy (`always` | `interval`), then optionally a Redis URL and
 *                   a project id (events, revocations and rate limits on that Redis).
 */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { Router } from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { configFor } from '../../src/config/load-config.js';
import { startSidecar } from '../../src/sidecar/start-sidecar.js';
import { createLogger } from '../../src/logging/create-logger.js';
import type { Permission } from '../../src/auth/permissions.js';

type Ready = { ready: true; url: string; token?: string; tokens?: string[] };

const mode = process.argv[2];
const gc = (globalThis as { gc?: () => void }).gc;

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address() as { port: number };
      resolve(`http://127.0.0.1:${addr.port}`);
    }),
  );
}

async function start(): Promise<{ ready: Ready; stop: () => Promise<void> }> {
  if (mode === 'koa-hello') {
    const app = new Koa();
    app.use((ctx) => {
      ctx.body = 'hello';
    });
    const handle = app.callback();
    const server = http.createServer((req, res) => void handle(req, res));
    return { ready: { ready: true, url: await listen(server) }, stop: () => new Promise<void>((r) => server.close(() => r())) };
  }
  if (mode === 'koa-post') {
    const app = new Koa();
    const router = new Router();
    const items: unknown[] = [];
    router.post('/items', (ctx) => {
      items.push(ctx.request.body);
      if (items.length > 100_000) items.length = 0;
      ctx.status = 202;
      ctx.body = { ok: true, n: items.length };
    });
    app.use(bodyParser());
    app.use(router.routes());
    const handle = app.callback();
    const server = http.createServer((req, res) => void handle(req, res));
    return { ready: { ready: true, url: await listen(server) }, stop: () => new Promise<void>((r) => server.close(() => r())) };
  }
  if (mode === 'bare-longpoll') {
    const held = new Set<http.ServerResponse>();
    let seq = 0;
    const server = http.createServer((req, res) => {
      if (req.method === 'GET' && req.url?.startsWith('/wait')) {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      if (req.method === 'GET' && req.url === '/count') {
        res.end(JSON.stringify({ waiting: held.size }));
        return;
      }
      if (req.method === 'POST' && req.url === '/publish') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const event = { event_id: String(++seq), data: JSON.parse(Buffer.concat(chunks).toString() || '{}') as unknown };
          const body = JSON.stringify({ events: [event], next_cursor: String(seq) });
          const n = held.size;
          for (const r of held) {
            r.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
            r.end(body);
          }
          held.clear();
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ event_id: String(seq), subscriber_count: n }));
        });
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    return {
      ready: { ready: true, url: await listen(server) },
      stop: () => {
        for (const r of held) r.destroy();
        return new Promise((r) => server.close(() => r()));
      },
    };
  }
  if (mode === 'sidecar') {
    const fsync = (process.argv[3] ?? 'always') as 'always' | 'interval';
    const redisUrl = process.argv[4];
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cco-bench-'));
    const project = path.join(dir, 'project');
    await import('node:fs/promises').then((f) => f.mkdir(project));
    const config = configFor({
      port: 0,
      log_level: 'silent',
      watch: false,
      project_root: project,
      storage_path: path.join(dir, 'storage'),
      events: { fsync, max_waits_total: 20_000 },
      ...(redisUrl ? { redis: { url: redisUrl }, project_id: process.argv[5] ?? 'bench' } : {}),
    });
    const handle = await startSidecar({ config, logger: createLogger({ level: 'silent' }) });
    // Unlimited agent category (chief-architect), one token per client process so the per-token cap does not apply across them.
    const mint = async (sub: string) =>
      (
        await handle.deps.tokens.mint({
          sub,
          agent_type: 'chief-architect',
          project_id: config.project_id,
          permissions: ['publish_events', 'subscribe_events', 'read_results'] as Permission[],
        })
      ).token;
    const tokens = await Promise.all(Array.from({ length: 16 }, (_, i) => mint(`bench-${i}`)));
    return {
      ready: { ready: true, url: handle.url, token: tokens[0]!, tokens },
      stop: async () => {
        await handle.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`unknown mode ${mode}`);
}

const { ready, stop } = await start();
process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'rss') {
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    process.send?.({ rss: m.rss, heap_used: m.heapUsed });
  } else if (msg.cmd === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpu_us: u.user + u.system });
  } else if (msg.cmd === 'stop') {
    void stop().then(() => process.exit(0));
  }
});
process.send?.(ready);
