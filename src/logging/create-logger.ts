import { once } from 'node:events';
import { pino, type Logger } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';

export const LOG_FILE = 'sidecar.log';

export interface LoggerOptions {
  level: string;
  /** `<storage>/logs`; structured JSON lines go to `sidecar.log` there (mode 0600). */
  logDir?: string;
  /** Rotate `sidecar.log` once it would pass this size (default 10 MiB). */
  maxFileBytes?: number;
  /** Rotated files kept: sidecar.log.1 (newest) … sidecar.log.<maxFiles> (oldest); default 5. */
  maxFiles?: number;
  /** Also write to stdout (foreground `start`). */
  stdout?: boolean;
}

export interface LoggerHandle {
  logger: Logger;
  /** Flush and close the log file (idempotent). */
  close: () => Promise<void>;
}

/**
 * Structured logs (pino) with a size-bounded `sidecar.log`, rotated like the audit log:
 * `sidecar.log` → `sidecar.log.1` → … → `sidecar.log.<maxFiles>` (the oldest is dropped), so a
 * long-running sidecar never fills the disk with its own logs. Never log tokens, keys or request bodies.
 *
 * @example
 * const { logger, close } = openLogger({ level: 'info', logDir: '/srv/cco/logs' });
 * logger.info('ready');
 * await close();
 */
export function openLogger(options: LoggerOptions): LoggerHandle {
  if (options.level === 'silent' || (!options.logDir && !options.stdout)) return { logger: pino({ level: 'silent' }), close: () => Promise.resolve() };
  const streams: pino.StreamEntry[] = [];
  let file: RotatingFileStream | undefined;
  if (options.logDir) {
    file = createStream((index) => (index ? `${LOG_FILE}.${String(index)}` : LOG_FILE), {
      path: options.logDir,
      size: `${options.maxFileBytes ?? 10 * 1024 * 1024}B`,
      rotate: options.maxFiles ?? 5,
      mode: 0o600,
    });
    // A line logged after close (a late async error) or a failed rotation must not crash the sidecar.
    file.on('error', (err) => process.stderr.write(`sidecar.log: ${err.message}\n`));
    streams.push({ level: options.level as pino.Level, stream: file });
  }
  if (options.stdout) streams.push({ level: options.level as pino.Level, stream: pino.destination({ dest: 1, sync: false }) });
  const logger = pino(
    { level: options.level, base: { service: 'orchestration-sidecar', pid: process.pid }, redact: ['token', 'authorization', 'jwt_token', '*.token'] },
    pino.multistream(streams),
  );
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (!file || file.destroyed) return;
      const finished = once(file, 'finish').catch(() => undefined);
      file.end();
      await finished;
    })();
    return closing;
  };
  return { logger, close };
}

/** A logger whose file (if any) is never closed explicitly: for tests and tools that log to nothing or stdout. */
export function createLogger(options: LoggerOptions): Logger {
  return openLogger(options).logger;
}
