import path from 'node:path';
import { pino, type Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  /** `<storage>/logs`; structured JSON lines go to `sidecar.log` there (mode 0600). */
  logDir?: string;
  /** Also write to stdout (foreground `start`). */
  stdout?: boolean;
}

/** Structured logs (pino). Never log tokens, keys or request bodies. */
export function createLogger(options: LoggerOptions): Logger {
  if (options.level === 'silent' || (!options.logDir && !options.stdout)) return pino({ level: 'silent' });
  const streams: pino.StreamEntry[] = [];
  if (options.logDir) {
    streams.push({
      level: options.level as pino.Level,
      stream: pino.destination({ dest: path.join(options.logDir, 'sidecar.log'), mkdir: true, sync: false, mode: 0o600 }),
    });
  }
  if (options.stdout) streams.push({ level: options.level as pino.Level, stream: pino.destination({ dest: 1, sync: false }) });
  return pino(
    { level: options.level, base: { service: 'orchestration-sidecar', pid: process.pid }, redact: ['token', 'authorization', 'jwt_token', '*.token'] },
    pino.multistream(streams),
  );
}
