import type { Next } from 'koa';
import type { Logger } from 'pino';
import { AppError, PayloadTooLargeError, ValidationError } from '../../errors/index.js';
import type { AppContext } from '../app-types.js';

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** Map errors raised by Koa and its body parser onto the contract's codes. */
function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as HttpishError;
  const status = e.status ?? e.statusCode;
  if (status === 413 || e.type === 'entity.too.large') return new PayloadTooLargeError();
  if (status === 400 || e.type === 'entity.parse.failed' || e.type === 'encoding.unsupported' || e.type === 'request.aborted') {
    return new ValidationError('Request body is not valid JSON');
  }
  if (status === 415) return new ValidationError('Unsupported request encoding');
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
      for (const [name, value] of Object.entries(appError.headers)) ctx.set(name, value);
      ctx.body = {
        error: appError.error,
        message: appError.message,
        code: appError.code,
        details: appError.details,
        timestamp: new Date().toISOString(),
        request_id: ctx.state.requestId,
      };
    }
  };
}
