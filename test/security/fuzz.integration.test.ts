import { expect } from 'chai';
import fc from 'fast-check';
import { z } from 'zod';
import { buildRouters } from '../../src/server/create-app.js';
import type { RouteSpec } from '../../src/server/route-spec.js';
import { startTestServer, rawRequest, type TestServer } from '../helpers/test-server.js';
import { fromSchema } from '../helpers/schema-arbitrary.js';
import { HOSTILE_RAW_BODIES, HOSTILE_STRINGS } from '../helpers/hostile.js';
import { KNOWN_CODES } from '../helpers/contract.js';
import { sendRaw } from '../helpers/raw-socket.js';

type AnySpec = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;
type Json = Record<string, any>;

const jsonSchema = (schema: z.ZodType | undefined): Json | undefined => (schema ? z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) : undefined);

/** A long-poll route (it takes `timeout`): the fuzz always sends a short one, the run is bounded in time. */
function isWait(schema: Json | undefined): boolean {
  return Boolean(schema?.properties?.timeout);
}

/** encodeURIComponent throws on lone surrogates; send U+FFFD for them instead. */
function wellFormed(value: string): string {
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function encode(value: string): string {
  return encodeURIComponent(wellFormed(value));
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

/** Percent-encode, or only what HTTP cannot carry (leaving `%`, `/`, `..` and `;` raw for the router to decode). */
function encodeSegment(value: string, raw: boolean): string {
  if (!raw) return encode(value);
  return wellFormed(value).replace(/[^\x21-\x7e]|[?#]/gu, (c) => encodeURIComponent(c));
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  raw?: string;
  auth: 'admin' | 'agent' | 'none' | 'junk';
  junkToken: string;
}

function requestArbitrary(spec: AnySpec): fc.Arbitrary<FuzzRequest> {
  const params = jsonSchema(spec.params);
  const query = jsonSchema(spec.query);
  const waits = isWait(query);
  const body = jsonSchema(spec.body);
  return fc
    .record({
      params: params ? fc.oneof(fromSchema(params, 3), fromSchema(params, 40)) : fc.constant({}),
      query: query
        ? fc.oneof(fromSchema(query, 3), fromSchema(query, 40))
        : fc.dictionary(fc.constantFrom('x', 'token', '__proto__', 'limit'), fc.constantFrom(...HOSTILE_STRINGS), { maxKeys: 2 }),
      body: fc.oneof(
        // Mostly hostile leaves, or mostly valid ones (so handlers run and store, not only refuse).
        { weight: 3, arbitrary: body ? fromSchema(body, 3) : fc.constant(undefined) },
        { weight: 3, arbitrary: body ? fromSchema(body, 40) : fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_RAW_BODIES).map((raw) => ({ __raw: raw })) },
      ),
      rawSegments: fc.boolean(),
      upper: fc.boolean(),
      trailingSlash: fc.boolean(),
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=utf-16',
        '',
      ),
      auth: fc.constantFrom<FuzzRequest['auth']>('admin', 'admin', 'agent', 'none', 'junk'),
      junkToken: fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.constantFrom(...HOSTILE_STRINGS),
        fc.base64String({ maxLength: 200 }).map((b) => `${b}.${b}.${b}`),
      ),
      requestId: fc.oneof(fc.constant(''), fc.string({ maxLength: 80 }), fc.constantFrom(...HOSTILE_STRINGS)),
      waitMs: fc.integer({ min: 0, max: 150 }),
    })
    .map((r) => {
      const paramValues = (r.params && typeof r.params === 'object' ? r.params : {}) as Record<string, unknown>;
      let path = spec.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
        const v = Object.prototype.hasOwnProperty.call(paramValues, name) ? paramValues[name] : 'x';
        return encodeSegment(asText(v).slice(0, 400), r.rawSegments);
      });
      if (r.upper) path = path.toUpperCase();
      if (r.trailingSlash) path += '/';
      const entries = r.query && typeof r.query === 'object' && !Array.isArray(r.query) ? Object.entries(r.query as Record<string, unknown>) : [];
      const pairs = entries.filter(([k]) => !waits || k !== 'timeout').map(([k, v]) => `${encode(k)}=${encode(asText(v).slice(0, 2000))}`);
      if (waits) pairs.push(`timeout=${r.waitMs}`);
      const q = pairs.join('&');
      const headers: Record<string, string> = {};
      if (r.contentType) headers['content-type'] = r.contentType;
      // Header values must be latin1 without controls for the client to send them at all.
      const requestId = r.requestId.replace(/[^\x20-\x7e]/g, '');
      if (requestId) headers['x-request-id'] = requestId;
      const out: FuzzRequest = {
        method: spec.method.toUpperCase(),
        path: q ? `${path}?${q}` : path,
        headers,
        auth: r.auth,
        junkToken: r.junkToken.replace(/[^\x20-\x7e]/g, ''),
      };
      const b = r.body as { __raw?: string } | undefined;
      if (out.method !== 'GET') {
        if (b && typeof b === 'object' && '__raw' in b) out.raw = b.__raw;
        else out.body = b ?? {};
      }
      return out;
    });
}

describe('fuzz: schema-derived and hostile requests against a live sidecar', () => {
  let s: TestServer;
  let specs: AnySpec[];
  const unlimited = { points_per_minute: null };
  before(async () => {
    s = await startTestServer({ config: { rate_limits: { coding: unlimited, default: unlimited } } });
    specs = buildRouters(s.handle.deps).catalog.specs;
  });
  after(async () => {
    await s.stop();
  });

  /**
   * /health must answer within `ms`. Up to three samples: one slow sample is the scheduler of a
   * busy 2-core machine (other test runs), a server wedged by fuzz input is slow every time.
   */
  async function healthWithin(ms: number): Promise<void> {
    const took: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const res = await s.request('GET', '/health');
      took.push(performance.now() - started);
      expect(res.body.service).to.equal('orchestration-sidecar');
      if (took.at(-1)! < ms) return;
    }
    expect.fail(`/health took ${took.map((t) => t.toFixed(1)).join(', ')} ms`);
  }

  function checkAnswer(req: FuzzRequest, res: { status: number; body: any; headers: Record<string, unknown> }): void {
    const where = `${req.method} ${req.path.slice(0, 200)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
    expect(res.headers['x-request-id'], where).to.be.a('string');
    if (res.status === 503 && res.body?.service === 'orchestration-sidecar') return; // /health "unhealthy" (no bus wired)
    expect(res.status, where).to.be.below(500);
    if (res.status >= 400) {
      expect(res.body, where).to.be.an('object');
      expect(res.body, where).to.include.keys('error', 'message', 'code', 'details', 'timestamp', 'request_id');
      expect(KNOWN_CODES.has(res.body.code), where).to.equal(true);
      expect(res.body.request_id, where).to.equal(res.headers['x-request-id']);
    }
  }

  it('never answers 5xx, always the contract JSON with a known code, and /health stays under 100 ms', async function () {
    this.timeout(90_000);
    const started = Date.now();
    let runs = 0;
    const statuses = new Map<string, number>();
    const arbitrary = fc.oneof(...specs.map(requestArbitrary));
    await fc.assert(
      fc.asyncProperty(arbitrary, async (req) => {
        const headers = { ...req.headers };
        if (req.auth === 'admin') headers.authorization = `Bearer ${await s.tokenFor({ sub: 'fuzz-admin', agent_type: 'operator', permissions: ['admin'] })}`;
        if (req.auth === 'agent') headers.authorization = `Bearer ${await s.tokenFor({ sub: 'fuzz-agent' })}`;
        if (req.auth === 'junk') headers.authorization = `Bearer ${req.junkToken}`;
        const res = await Promise.race([
          rawRequest(s.url, req.method, req.path, {
            headers,
            ...(req.raw !== undefined ? { raw: req.raw } : req.body !== undefined ? { body: req.body } : {}),
          }),
          new Promise<never>((_r, reject) => setTimeout(() => reject(new Error(`no answer within 5 s: ${req.method} ${req.path.slice(0, 200)}`)), 5_000)),
        ]);
        checkAnswer(req, res);
        statuses.set(`${res.status} ${res.body?.code ?? ''}`.trim(), (statuses.get(`${res.status} ${res.body?.code ?? ''}`.trim()) ?? 0) + 1);
        if (++runs % 50 === 0) await healthWithin(100);
      }),
      { numRuns: 500, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31), verbose: 1 },
    );
    await healthWithin(100);
    if (process.env.FUZZ_STATS) console.log([...statuses].sort());
    expect(Date.now() - started).to.be.below(60_000);
  });

  it('raw hostile request lines and headers get a contract answer or a closed socket, never a 5xx', async function () {
    this.timeout(60_000);
    const token = await s.tokenFor({ sub: 'fuzz-raw', agent_type: 'operator', permissions: ['admin'] });
    const line = fc.oneof(
      fc.constantFrom(...HOSTILE_STRINGS).map((h) => `X-Fuzz: ${h}`),
      fc.string({ maxLength: 200 }).map((h) => `X-Fuzz: ${h}`),
      fc.constantFrom(
        'Transfer-Encoding: chunked',
        'Content-Length: -1',
        'Content-Length: 99999999999',
        'Content-Length: 1, 2',
        'Host: evil.example',
        'Host: 127.0.0.1',
        'Authorization: Bearer',
        `Authorization: Bearer ${token}`,
        `Cookie: token=${token}`,
        'Expect: 100-continue',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'X-Forwarded-Host: localhost',
        'Content-Type: application/json',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT', 'FOO', 'get'),
        fc.oneof(
          fc.constantFrom(...specs.map((sp) => sp.path)),
          fc.constantFrom(...HOSTILE_STRINGS).map((h) => `/api/${h}`),
        ),
        fc.array(line, { maxLength: 6 }),
        fc.oneof(fc.constant(''), fc.constantFrom(...HOSTILE_RAW_BODIES.map((b) => b.slice(0, 5000)))),
        async (method, path, headerLines, body) => {
          const head = [
            `${method} ${path.replace(/[\s]/g, '%20')} HTTP/1.1`,
            'Host: 127.0.0.1',
            ...headerLines,
            `Content-Length: ${Buffer.byteLength(body)}`,
            'Connection: close',
          ];
          const res = await sendRaw(s.handle.port, `${head.join('\r\n')}\r\n\r\n${body}`, 3_000);
          if (res.status === undefined) {
            expect(res.closed, `no answer and not closed: ${head[0]}`).to.equal(true);
            return;
          }
          if (method === 'HEAD') return; // no body to check
          checkAnswer({ method, path, headers: {}, auth: 'none', junkToken: '' }, { status: res.status, body: res.body, headers: res.headers });
        },
      ),
      { numRuns: 150, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    await healthWithin(100);
  });
});
