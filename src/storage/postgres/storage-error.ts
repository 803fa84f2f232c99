import type { Logger } from 'pino';
import { AppError, StorageReadError, StorageWriteError } from '../../errors/index.js';
import { isUnavailable } from './postgres-database.js';

/**
 * The contract error of a failed PostgreSQL read or write of `what` ("Result", "Issue"): an
 * unreachable server is 503 STR_002 (retry later); anything else is a failure of ours, logged
 * with the driver's message and code only (never the query parameters).
 */
export function postgresStorageError(err: unknown, what: string, op: 'read' | 'write', log: Pick<Logger, 'error'> | undefined): AppError {
  if (err instanceof AppError) return err;
  if (isUnavailable(err)) return new StorageReadError(`${what} storage is unavailable (PostgreSQL unreachable)`);
  log?.error({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, `postgres ${what.toLowerCase()} ${op} failed`);
  return op === 'write' ? new StorageWriteError(`${what} storage write failed`) : new StorageReadError(`${what} storage read failed`);
}
