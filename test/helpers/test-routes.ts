import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { defineRoute } from '../../src/server/route-spec.js';
import type { RouteModule } from '../../src/server/routes/routers.js';

/**
 * Test-only routes, registered through `defineRoute` like real ones:
 * - `GET /api/test/slow?ms=` answers after `ms` (a stand-in for a long-poll);
 * - `GET /api/test/stat/:name` stats `<tmp>/<name>` WITHOUT validating the name, to show the error
 *   handler's safety net for NUL bytes and over-long names (real routes validate with `safeId`);
 * - `POST /api/test/echo` returns its body (counts handler runs in `calls`).
 */
export function testRoutes(calls: { echo: number } = { echo: 0 }): RouteModule {
  return (routers) => {
    defineRoute(
      routers,
      {
        method: 'get',
        path: '/api/test/slow',
        tag: 'test',
        summary: 'Answer after a delay',
        query: z.object({ ms: z.coerce.number().int().min(0).max(60_000) }),
        responses: { 200: { description: '{waited_ms}', schema: z.object({ waited_ms: z.number() }) } },
      },
      async (ctx, { query }) => {
        // Like a real long-poll, the wait ends when the client goes away (no timer outlives the test).
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, query.ms);
          ctx.res.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        return { waited_ms: query.ms };
      },
    );
    defineRoute(
      routers,
      {
        method: 'get',
        path: '/api/test/stat/:name',
        tag: 'test',
        summary: 'Stat a file under tmp (unvalidated name)',
        params: z.object({ name: z.string() }),
        responses: { 200: { description: '{exists}', schema: z.object({ exists: z.boolean() }) } },
      },
      async (_ctx, { params }) => {
        try {
          await stat(path.join(os.tmpdir(), params.name));
          return { exists: true };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false };
          throw err;
        }
      },
    );
    defineRoute(
      routers,
      {
        method: 'post',
        path: '/api/test/echo',
        tag: 'test',
        summary: 'Echo the body',
        body: z.record(z.string(), z.unknown()),
        responses: { 200: { description: 'the body', schema: z.object({ echo: z.record(z.string(), z.unknown()) }) } },
      },
      (_ctx, { body }) => {
        calls.echo++;
        return { echo: body };
      },
    );
  };
}
