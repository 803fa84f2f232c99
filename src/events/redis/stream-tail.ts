import type { ComponentLogger } from '../../logging/component-logger.js';
import { errorText, type RedisClient } from '../../redis/redis-connection.js';
import type { RawEntry } from './stream-entry.js';

const BLOCK_MS = 1000;
const COUNT = 1000;

export interface StreamTailHandlers {
  /** The seq to read after (the local head), asked before every XREAD. */
  from(): number;
  /** New entries, in stream order. */
  entries(raws: RawEntry[]): void;
  /** An XREAD ended without entries (a chance to notice a lost stream). */
  idle(): Promise<void>;
  /** The first failure of an outage. */
  lost(): void;
}

/**
 * The one blocking XREAD loop of a process, on a connection of its own, however many waits are
 * blocked: it reads after the local head, so after an outage it resumes exactly where it was
 * (no event skipped, none read twice).
 */
export class StreamTail {
  private running = false;
  private loop: Promise<void> | undefined;
  private healthyValue = true;

  constructor(
    private readonly tail: RedisClient,
    private readonly commands: RedisClient,
    private readonly key: string,
    private readonly handlers: StreamTailHandlers,
    private readonly logger: ComponentLogger | undefined,
  ) {}

  get healthy(): boolean {
    return this.healthyValue;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Ends the loop at once (its connection is closed under the blocked XREAD). */
  async stop(destroy: () => void): Promise<void> {
    this.running = false;
    destroy();
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const from = this.handlers.from();
        // After a failure the first read does not block, so health turns 'ok' as soon as Redis answers.
        const block = this.healthyValue ? ['BLOCK', String(BLOCK_MS)] : [];
        const reply = await this.tail.sendCommand<Array<[string, RawEntry[]]> | null>([
          'XREAD',
          'COUNT',
          String(COUNT),
          ...block,
          'STREAMS',
          this.key,
          `${from}-0`,
        ]);
        if (!this.healthyValue) this.logger?.info({ from }, 'event stream tail resumed');
        this.healthyValue = true;
        if (!this.running) break;
        if (reply?.[0]) this.handlers.entries(reply[0][1]);
        else await this.handlers.idle();
      } catch (err) {
        if (!this.running) break;
        if (this.healthyValue) {
          this.logger?.warn({ err: errorText(err) }, 'event stream tail failed; retrying');
          this.healthyValue = false;
          this.handlers.lost();
        }
        // The connection reconnects by itself (with backoff): poll for it rather than sleep a backoff of our own.
        await new Promise((r) => setTimeout(r, this.tail.isReady || this.commands.isReady ? 20 : 50));
      }
    }
  }
}
