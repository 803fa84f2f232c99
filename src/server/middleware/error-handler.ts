import type { Next } from 'koa';
import type { Logger } from 'pino';
import { AppError, PayloadTooLargeError, StorageWriteError, ValidationError } from '../../errors/index.js';
import { isDiskFull } from '../../storage/atomic-write.js';
import { BASE_SECURITY_HEADERS, contractErrorBody } from '../contract-error.js';
import type { AppContext } from '../app-types.js';

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** Map errors raised by Koa, its body parser and fs onto the contract's codes (also used by the MCP tools). */
export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as HttpishError;
  const status = e.status ?? e.statusCode;
  if (status === 413 || e.type === 'entity.too.large') return new PayloadTooLargeError();
  if (status === 400 || e.type === 'entity.parse.failed' || e.type === 'encoding.unsupported' || e.type === 'request.aborted') {
    return new ValidationError('Request body is not valid JSON');
  }
  if (status === 415) return new ValidationError('Unsupported request encoding');
  // Safety nets for errno failures a module did not map itself (HAZARDS.md): a full disk is the
  // contract's 507, and the two file-system errors only a client's path can cause are 400s.
  if (isDiskFull(err)) return new StorageWriteError('Storage is full', true);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENAMETOOLONG') return new ValidationError('A path component is too long');
  if (code === 'ERR_INVALID_ARG_VALUE' && /null bytes/.test(String(e.message))) return new ValidationError('A path contains a NUL byte');
  return undefined;
}

/**
 * Registered first (inside request-context): every failure becomes the contract's JSON error
 * (spec §1). Unknown errors are logged with their stack and answered as a 500 that leaks nothing.
 */
export function errorHandler(logger: Logger) {
  return async function errorHandlerMiddleware(ctx: AppContext, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      let appError = toAppError(err);
      if (!appError) {
        logger.error({ err, request_id: ctx.state.requestId, method: ctx.method, route: ctx.state.route }, 'unhandled error');
        appError = new AppError(500, 'INTERNAL_ERROR', 'internal_error', 'Internal server error');
      }
      ctx.status = appError.status;
      // Also for answers refused before security-headers ran (e.g. a foreign Host).
      ctx.set(BASE_SECURITY_HEADERS);
      for (const [name, value] of Object.entries(appError.headers)) ctx.set(name, value);
      ctx.body = contractErrorBody(appError, ctx.state.requestId);
    }
  };
}
