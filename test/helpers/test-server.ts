import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { configFor } from '../../src/config/load-config.js';
import type { Config, ConfigInput } from '../../src/config/schema.js';
import { PERMISSIONS, defaultPermissionsFor, type Permission } from '../../src/auth/permissions.js';
import type { MintInput } from '../../src/auth/token-service.js';
import { startSidecar, type SidecarHandle } from '../../src/sidecar/start-sidecar.js';
import { createLogger } from '../../src/logging/create-logger.js';
import type { RouteModule } from '../../src/server/routes/routers.js';
import { AGENT_CATEGORIES } from '../../src/util/agent-category.js';
import { buildRouters } from '../../src/server/create-app.js';
import { expectDeclaredShape } from './response-contract.js';

/**
 * Functional tests make bursts of requests with agent tokens; rate limits have their own tests
 * (test/server/rate-limit.integration.test.ts). So a test server is unlimited unless the test passes
 * `config.rate_limits` (pass `{}` for the spec defaults).
 */
const UNLIMITED = Object.fromEntries([...AGENT_CATEGORIES, 'admin'].map((c) => [c, { points_per_minute: null }]));
import { makeTempDir, removeDir } from './temp-dir.js';

export interface TestResponse<T = any> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Raw body string (sent as is). */
  raw?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  handle: SidecarHandle;
  config: Config;
  storage: string;
  projectRoot: string;
  /** An admin token for the project. */
  adminToken: string;
  /** Mint a token; defaults: agent type python-specialist with its default permissions. */
  tokenFor(claims?: Partial<MintInput>): Promise<string>;
  /** HTTP request with the raw path sent exactly as given (no URL normalisation). */
  request<T = any>(method: string, rawPath: string, options?: RequestOptions): Promise<TestResponse<T>>;
  /** Close the sidecar and start a new one on the same storage and project (restart durability). */
  restart(): Promise<void>;
  /** Close the sidecar and remove its temp dirs. */
  stop(): Promise<void>;
}

export interface TestServerOptions {
  config?: Partial<ConfigInput>;
  /** Use this project root instead of a fresh temp dir (the caller owns it). */
  projectRoot?: string;
  /** Reuse a storage dir (the caller owns it). */
  storage?: string;
  /** Extra route modules registered after the real ones (test-only routes). */
  extraRoutes?: RouteModule[];
}

/** Raw HTTP request on a given base URL (keeps `%2F`, `..` and NUL escapes exactly as written). */
export function rawRequest<T = any>(baseUrl: string, method: string, rawPath: string, options: RequestOptions = {}): Promise<TestResponse<T>> {
  const base = new URL(baseUrl);
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path: rawPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: keep text */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Start a real sidecar on an ephemeral loopback port with temp storage and project dirs. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownsProject = options.projectRoot === undefined;
  const ownsStorage = options.storage === undefined;
  const projectRoot = options.projectRoot ?? (await makeTempDir('cco-project-'));
  const storage = options.storage ?? path.join(await makeTempDir('cco-storage-'), 'orchestration');
  await mkdir(projectRoot, { recursive: true });
  const config = configFor({
    port: 0,
    log_level: 'silent',
    watch: false,
    ...options.config,
    rate_limits: options.config?.rate_limits ?? UNLIMITED,
    project_root: projectRoot,
    storage_path: storage,
  });
  const logger = createLogger({ level: 'silent' });
  const extraRoutes = options.extraRoutes ?? [];
  let handle = await startSidecar({ config, logger, extraRoutes });
  // The same routes as the running app, to find each answer's declared response schema.
  let routers = buildRouters(handle.deps, extraRoutes);

  const server: TestServer = {
    url: handle.url,
    handle,
    config,
    storage,
    projectRoot,
    adminToken: '',
    async tokenFor(claims = {}) {
      const agentType = claims.agent_type ?? 'python-specialist';
      const minted = await handle.deps.tokens.mint({
        sub: claims.sub ?? `agent-${agentType}`,
        agent_type: agentType,
        project_id: claims.project_id ?? config.project_id,
        permissions: claims.permissions ?? defaultPermissionsFor(agentType),
        ...(claims.issue_id !== undefined ? { issue_id: claims.issue_id } : {}),
        ...(claims.ttl_seconds !== undefined ? { ttl_seconds: claims.ttl_seconds } : {}),
      });
      return minted.token;
    },
    async request(method, rawPath, requestOptions = {}) {
      const res = await rawRequest(server.url, method, rawPath, requestOptions);
      // Every answer a test sees is checked against the schema its route declares (src/contract).
      expectDeclaredShape(routers, method, rawPath, res);
      return res;
    },
    async restart() {
      await handle.close();
      handle = await startSidecar({ config: configFor({ ...config, port: 0 }), logger, extraRoutes });
      server.handle = handle;
      server.url = handle.url;
      routers = buildRouters(handle.deps, extraRoutes);
      server.adminToken = await server.tokenFor({ agent_type: 'operator', sub: 'operator', permissions: ['admin'] as Permission[] });
    },
    async stop() {
      await handle.close();
      if (ownsStorage) await removeDir(path.dirname(storage));
      if (ownsProject) await removeDir(projectRoot);
    },
  };
  server.adminToken = await server.tokenFor({ agent_type: 'operator', sub: 'operator', permissions: ['admin'] as Permission[] });
  return server;
}

export const ALL_PERMISSIONS: Permission[] = [...PERMISSIONS];
