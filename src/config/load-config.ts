import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkedConfigSchema, type Config, type ConfigInput } from './schema.js';
import { detectProjectRoot, projectIdFromRoot } from './project.js';

export interface LoadConfigOptions {
  /** Flags from the CLI (highest precedence). */
  flags?: Partial<ConfigInput>;
  /** Explicit config file (`--config`); otherwise `<project>/.cco/orchestration.json` if present. */
  configFile?: string;
  /** Environment to read; defaults to process.env. Only this loader reads the environment. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class ConfigError extends Error {}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

function readConfigFile(file: string, required: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Cannot read config file ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`Config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function fromEnv(env: NodeJS.ProcessEnv): Partial<ConfigInput> {
  const out: Partial<ConfigInput> = {};
  const int = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got '${raw}'`);
    return n;
  };
  const port = int('CCO_SIDECAR_PORT');
  if (port !== undefined) out.port = port;
  if (env.CCO_SIDECAR_HOST) out.host = env.CCO_SIDECAR_HOST;
  if (env.CCO_SIDECAR_STORAGE) out.storage_path = env.CCO_SIDECAR_STORAGE;
  const cache = int('CCO_SIDECAR_CACHE_SIZE_MB');
  if (cache !== undefined) out.cache_size_mb = cache;
  if (env.CCO_SIDECAR_JWT_SECRET) out.jwt_secret = env.CCO_SIDECAR_JWT_SECRET;
  if (env.CCO_SIDECAR_JWT_SECRET_FILE) out.jwt_secret_file = env.CCO_SIDECAR_JWT_SECRET_FILE;
  if (env.CCO_NODE_ID) out.node_id = env.CCO_NODE_ID;
  if (env.CCO_SIDECAR_LOG_LEVEL) out.log_level = env.CCO_SIDECAR_LOG_LEVEL as ConfigInput['log_level'];
  if (env.CCO_POSTGRES_URL) out.postgres = { url: env.CCO_POSTGRES_URL };
  if (env.CCO_REDIS_URL) out.redis = { url: env.CCO_REDIS_URL };
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** `over` on `base`, one level deep for sections both give (env's `postgres.url` keeps the file's `postgres.pool_size`). */
function mergeSections(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlainObject(value) && isPlainObject(base[key]) ? { ...base[key], ...value } : value;
  }
  return out;
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Load the configuration once, at the edge: defaults < config file < env < flags.
 * Returns a deeply frozen object; nothing else in the code base reads process.env.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = definedOnly(options.flags);
  const projectRoot = path.resolve(cwd, expandHome(flags.project_root ?? detectProjectRoot(cwd)));
  const file = options.configFile
    ? readConfigFile(path.resolve(cwd, expandHome(options.configFile)), true)
    : readConfigFile(path.join(projectRoot, '.cco', 'orchestration.json'), false);
  // Nested sections merge key by key, so an env URL does not drop the file's other redis or postgres keys.
  const merged: Record<string, unknown> = { ...mergeSections(mergeSections(file, fromEnv(env)), flags), project_root: projectRoot };
  // Giving a Redis or PostgreSQL URL without naming a backend means using it.
  const events = (merged.events ?? {}) as Record<string, unknown>;
  if (events.backend === undefined && (merged.redis as { url?: unknown } | undefined)?.url) merged.events = { ...events, backend: 'redis' };
  const results = (merged.results ?? {}) as Record<string, unknown>;
  if (results.backend === undefined && (merged.postgres as { url?: unknown } | undefined)?.url) merged.results = { ...results, backend: 'postgres' };
  const parsed = checkedConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const cfg = parsed.data;
  if (cfg.events.backend === 'redis' && !cfg.redis.url) {
    throw new ConfigError('Invalid configuration:\n  events.backend is "redis" but no Redis URL is set: use --redis-url, CCO_REDIS_URL or redis.url');
  }
  const resolvedRoot = path.resolve(cwd, expandHome(cfg.project_root ?? projectRoot));
  return deepFreeze({
    ...cfg,
    storage_path: path.resolve(cwd, expandHome(cfg.storage_path)),
    project_root: resolvedRoot,
    project_id: cfg.project_id ?? projectIdFromRoot(resolvedRoot),
    ...(cfg.jwt_secret_file !== undefined ? { jwt_secret_file: path.resolve(cwd, expandHome(cfg.jwt_secret_file)) } : {}),
    node_id: cfg.node_id ?? defaultNodeId(),
  });
}

/** Unique per process even when several sidecars share a host and a pid namespace (tests, containers). */
function defaultNodeId(): string {
  const host =
    os
      .hostname()
      .replace(/[^A-Za-z0-9._-]/g, '')
      .slice(0, 64) || 'node';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Build a config for tests and embedding without touching the environment. */
export function configFor(input: Partial<ConfigInput> & { project_root: string; storage_path: string }): Config {
  return loadConfig({ flags: input, env: {}, cwd: input.project_root });
}

export type { Config } from './schema.js';
