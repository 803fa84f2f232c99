/**
 * Every failure the sidecar owns is an AppError: a stable `code` from the wire contract
 * (spec §1), an HTTP `status`, a snake_case `error` word and optional `details`.
 * The error handler turns it into the contract's JSON body; anything that is not an
 * AppError becomes a 500 whose message never leaks internals.
 *
 * @example throw new NotFoundError('No result with that id', { id })
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly error: string;
  readonly details: Record<string, unknown>;
  /** Extra response headers (e.g. Retry-After, Allow). */
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, error: string, message: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.error = error;
    this.details = details;
    this.headers = headers;
  }
}
