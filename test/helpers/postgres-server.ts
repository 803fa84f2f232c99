import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { makeTempDir, removeDir } from './temp-dir.js';

const run = promisify(execFile);

/** The message every PostgreSQL-backed test fails with when the server binaries are absent. */
export const POSTGRES_MISSING =
  'PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH. ' +
  'Install them with `apt-get install -y postgresql` (Debian/Ubuntu); .ci/run does this when they are absent.';

/** The directory holding `initdb` and `pg_ctl`, newest major version first, or undefined. */
export function findPostgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const majors = readdirSync(base)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const bin = path.join(base, major, 'bin');
      if (existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'pg_ctl'))) return bin;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface PostgresServer {
  readonly port: number;
  /** Holds the data dir, the unix socket and the server log. */
  readonly dir: string;
  /** Superuser password (scram over TCP; the URLs carry it so redaction can be tested). */
  readonly password: string;
  /** A `postgres://` URL of `database` over loopback TCP. */
  url(database: string): string;
  /** A new empty database; resolves to its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stop the server (fast shutdown: open connections are cut), keeping its data. */
  stop(): Promise<void>;
  /** Start it again on the same port after `stop`. */
  start(): Promise<void>;
  /** Stop and delete everything. Idempotent. */
  destroy(): Promise<void>;
}

let databaseSeq = 0;

/**
 * A throwaway PostgreSQL cluster for tests: initdb in a temp dir, a random loopback port, the
 * unix socket in the temp dir, no config left anywhere else. As root (CI), the server runs as the
 * `postgres` user through `runuser`, since PostgreSQL refuses to run as root.
 *
 * @example
 * const server = await startPostgresServer();
 * const url = await server.createDatabase();
 * // … after(() => server.destroy());
 */
export async function startPostgresServer(options: { fsync?: boolean } = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(POSTGRES_MISSING);
  const asRoot = process.getuid?.() === 0;
  const dir = await makeTempDir('cco-pg-');
  const data = path.join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2, 12)}`;
  const exec = async (tool: string, args: string[]): Promise<void> => {
    const file = path.join(bin, tool);
    if (asRoot) await run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: dir });
    else await run(file, args, { cwd: dir });
  };
  try {
    await mkdir(data, { mode: 0o700 });
    const pwfile = path.join(dir, 'pwfile');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (asRoot) {
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      for (const p of [dir, data, pwfile]) await chown(p, uid, gid);
    }
    await exec('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      `--pwfile=${pwfile}`,
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
  } catch (err) {
    await removeDir(dir);
    throw new Error(`initdb failed: ${(err as { stderr?: string }).stderr ?? String(err)}`, { cause: err });
  }
  let port = 0;
  let running = false;
  const settings = (): string =>
    [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c max_connections=200',
      `-c fsync=${options.fsync ? 'on' : 'off'}`,
      '-c shared_buffers=32MB',
      '-c logging_collector=off',
    ].join(' ');
  const pgStart = async (): Promise<void> => {
    await exec('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', settings(), '-w', '-t', '30', 'start']);
    running = true;
  };
  // A port picked free can be taken before the server binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await pgStart();
      break;
    } catch (err) {
      if (attempt >= 3) {
        await removeDir(dir);
        throw new Error(`PostgreSQL did not start: ${(err as { stderr?: string }).stderr ?? String(err)}`, { cause: err });
      }
    }
  }
  const url = (database: string): string => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  const server: PostgresServer = {
    port,
    dir,
    password,
    url,
    async createDatabase(name = `cco_test_${process.pid}_${++databaseSeq}`) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop() {
      if (!running) return;
      await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
      running = false;
    },
    async start() {
      if (!running) await pgStart();
    },
    async destroy() {
      await server.stop().catch(() => undefined);
      await removeDir(dir);
    },
  };
  return server;
}
