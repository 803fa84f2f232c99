import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { makeTempDir, removeDir } from './temp-dir.js';

export interface RedisServerOptions {
  /** Turn on the append-only file (`appendfsync everysec`); off by default, as nothing must persist. */
  appendonly?: boolean;
  /** Require this password (`requirepass`); `url` then carries it. */
  password?: string;
}

const INSTALL_HINT =
  'redis-server was not found on PATH. The Redis backend tests need a real Redis 7: ' +
  'install it with `apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis`, then run the tests again.';

/** True when a `redis-server` binary can be run. */
export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway `redis-server` on a random loopback port, working in its own temp dir (no RDB
 * snapshots; an AOF only when asked). `stop()` ends it and removes the dir; `restart()` stops
 * and starts it again on the same port and dir (what a Redis restart looks like to clients).
 *
 * @example
 * const redis = await RedisServer.start();
 * const client = createClient({ url: redis.url });
 * await redis.stop();
 */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    if (!redisServerAvailable()) throw new Error(INSTALL_HINT);
    const server = new RedisServer(await freePort(), await makeTempDir('cco-redis-'), options);
    try {
      await server.launch();
    } catch (err) {
      await removeDir(server.dir);
      throw err;
    }
    return server;
  }

  get url(): string {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : '';
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  private async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      this.options.appendonly ? 'yes' : 'no',
      '--appendfsync',
      'everysec',
      ...(this.options.password ? ['--requirepass', this.options.password] : []),
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--loglevel',
      'warning',
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      output += b.toString();
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${output.slice(-500)}`)));
    });
    exited.catch(() => undefined);
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await Promise.race([this.ping(), exited])) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server on port ${this.port} did not answer PING within 10 s: ${output.slice(-500)}`);
  }

  /** One raw RESP PING; true when the server answers it. */
  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1');
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (b) => {
        socket.destroy();
        // With requirepass an unauthenticated PING answers NOAUTH: the server is up all the same.
        const reply = b.toString();
        resolve(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
  }

  /** Stop the server process (SIGTERM, or SIGKILL when `hard`); the dir stays for a restart. */
  async halt(hard = false): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await gone;
  }

  /** Start it again on the same port and dir (after `halt`). */
  async resume(): Promise<void> {
    if (this.child) return;
    await this.launch();
  }

  async restart(hard = false): Promise<void> {
    await this.halt(hard);
    await this.resume();
  }

  async stop(): Promise<void> {
    await this.halt();
    await removeDir(this.dir);
  }
}
