import type http from 'node:http';
import type { Logger } from 'pino';
import { AppError, EventBusUnavailableError } from '../../errors/index.js';
import type { BusEvent } from '../../events/event-bus.js';
import { commentFrame, eventFrame, retryFrame } from './sse-frames.js';

/** What a browser waits before it reconnects with `Last-Event-ID` after the stream ended. */
const RETRY_MS = 2000;

/** A page of one wait: the events after the cursor, and the cursor to continue from. */
export interface StreamPage {
  events: BusEvent[];
  next_cursor: string;
}

export interface EventStreamOptions {
  /**
   * One wait after `cursor` (undefined: replay what is buffered), answered at once when events
   * match, else when one arrives or the heartbeat interval passes (then with no events).
   */
  next: (cursor: string | undefined, signal: AbortSignal) => Promise<StreamPage>;
  /** `Last-Event-ID` or `since`: an event id, `now`, or absent (replay what is buffered). */
  since?: string;
  /** End the stream after this many ms (scripts that want a bounded read); default: until the client leaves. */
  endAfterMs?: number;
  /** Aborted when the sidecar starts to stop: the stream ends at once with a `stream_error` (EVT_001). */
  stopping?: AbortSignal;
  logger: Logger;
}

type Settled = { ok: true; value: StreamPage } | { ok: false; error: unknown };

/**
 * One `GET /api/events/stream` connection, built on the long-poll wait: each step is a wait from
 * the previous page's `next_cursor`, so selection, cursors (410 for an expired one, `since=now`),
 * issue scoping, the per-token and total wait caps and delivery accounting are the waits' own,
 * not a copy; an idle wait that ends empty (the heartbeat interval) becomes a heartbeat comment.
 * Frames go straight onto the raw response (no PassThrough body in between), and the next wait
 * starts only once the socket has taken the last batch, so a slow reader holds at most one batch
 * in memory. On shutdown the bus answers every wait and refuses new ones: the stream then ends.
 *
 * @example
 * const stream = await EventStream.open({ next: (since, signal) => events.wait(caller, '*', { since, timeout: 15_000 }, { signal }), logger }, res);
 * stream.pipe(res);
 */
export class EventStream {
  private cursor: string | undefined;
  private closed = false;
  private pending!: Promise<Settled>;

  private constructor(
    private readonly options: EventStreamOptions,
    private readonly abort: AbortController,
  ) {
    this.cursor = options.since;
  }

  /**
   * Start the first wait and give it until the next turn of the event loop to fail: a bad
   * filter or cursor (400/410) or a full wait cap (429) is then still answered as the contract's
   * JSON, before any stream header is written.
   */
  static async open(options: EventStreamOptions, res: http.ServerResponse): Promise<EventStream> {
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    const stream = new EventStream(options, abort);
    stream.pending = stream.next();
    const early = await Promise.race([stream.pending, new Promise<undefined>((resolve) => setImmediate(resolve, undefined))]);
    if (early && !early.ok) throw early.error;
    return stream;
  }

  /** Write the stream headers and keep writing frames until the client or the bus goes away. */
  pipe(res: http.ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    res.write(retryFrame(RETRY_MS) + commentFrame('stream open'));
    if (this.options.endAfterMs !== undefined) {
      const timer = setTimeout(() => {
        this.abort.abort();
        if (!res.writableEnded) res.end(commentFrame('timeout'));
      }, this.options.endAfterMs);
      res.once('close', () => clearTimeout(timer));
    }
    const stopping = this.options.stopping;
    if (stopping) {
      // Without this the HTTP stage of the shutdown would wait for streams nobody ends.
      const stop = (): void => {
        this.abort.abort();
        this.end(res, new EventBusUnavailableError('The sidecar is shutting down; reconnect with Last-Event-ID'));
      };
      if (stopping.aborted) stop();
      else {
        stopping.addEventListener('abort', stop, { once: true });
        res.once('close', () => stopping.removeEventListener('abort', stop));
      }
    }
    this.run(res).catch((err: unknown) => {
      this.options.logger.warn({ err }, 'event stream failed');
      res.destroy();
    });
  }

  private next(): Promise<Settled> {
    return this.options.next(this.cursor, this.abort.signal).then(
      (value): Settled => ({ ok: true, value }),
      (error: unknown): Settled => ({ ok: false, error }),
    );
  }

  private async run(res: http.ServerResponse): Promise<void> {
    for (;;) {
      const settled = await this.pending;
      if (this.abort.signal.aborted || res.writableEnded || res.destroyed) return;
      if (!settled.ok) {
        this.end(res, settled.error);
        return;
      }
      const page = settled.value;
      let text = '';
      for (const event of page.events) text += eventFrame(event);
      if (page.events.length === 0) text = commentFrame('heartbeat');
      this.cursor = page.next_cursor;
      if (!res.write(text)) await drained(res);
      if (this.abort.signal.aborted || res.writableEnded || res.destroyed) return;
      this.pending = this.next();
    }
  }

  /**
   * The bus refused the next wait (shutting down, cursor overtaken by eviction, cap raced):
   * say why in a `stream_error` frame and end; a client reconnects from its last event id.
   */
  private end(res: http.ServerResponse, error: unknown): void {
    if (this.closed || res.writableEnded || res.destroyed) return;
    this.closed = true;
    const body =
      error instanceof AppError
        ? { status: error.status, code: error.code, error: error.error, message: error.message, details: error.details }
        : { status: 500, code: 'INTERNAL_ERROR', error: 'internal_error', message: 'Event stream failed' };
    if (!(error instanceof AppError)) this.options.logger.error({ err: error }, 'event stream wait failed');
    res.end(`event: stream_error\ndata: ${JSON.stringify(body)}\n\n`);
  }
}

/** Resolves when the socket took the buffered frames, or the client left (listeners removed either way). */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
