import type { ErrorBody } from '../contract/errors.js';
import type { HealthResponse, StatusResponse } from '../contract/observability.js';
import type { RefreshResponse } from '../contract/auth.js';

/**
 * Typed HTTP client for the sidecar, used by the CLI and importable by TypeScript agents.
 *
 * @example
 * const client = new SidecarClient({ url: 'http://127.0.0.1:3001', token: process.env.JWT_TOKEN })
 * const health = await client.health()
 */
/** The contract error body (spec §1); a non-JSON failure is shaped like it with fewer fields. */
export type ContractErrorBody = Pick<ErrorBody, 'error' | 'message' | 'code'> & Partial<Omit<ErrorBody, 'error' | 'message' | 'code'>>;

/** The sidecar answered with a contract error (spec §1). */
export class SidecarError extends Error {
  constructor(
    readonly status: number,
    readonly body: ContractErrorBody,
  ) {
    super(`${body.message} (${body.code}, HTTP ${status})`);
  }
  get code(): string {
    return this.body.code;
  }
}

/** Nothing answered at the URL. */
export class SidecarUnavailableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`No sidecar answers at ${url} (${(cause as Error)?.message ?? cause}). Start one with: cco orchestration start`);
  }
}

export interface ClientOptions {
  url: string;
  token?: string;
  /** Per-request timeout in ms when the caller gives no signal (default 30 s). */
  timeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestInit {
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  /** Accept these non-2xx statuses as answers instead of throwing (e.g. 503 from /health). */
  acceptStatus?: number[];
  /** Told the status of an answer that is returned (e.g. 201 created vs 200 updated). */
  onStatus?: (status: number) => void;
}

export class SidecarClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async request<T>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const target = new URL(this.url + path);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) target.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(target, {
        method,
        headers,
        body: init.body === undefined ? null : JSON.stringify(init.body),
        signal: init.signal ?? AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') throw err;
      throw new SidecarUnavailableError(this.url, (err as { cause?: unknown }).cause ?? err);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    if (!res.ok && !init.acceptStatus?.includes(res.status)) {
      const body = (
        parsed && typeof parsed === 'object' ? parsed : { error: 'http_error', message: text || res.statusText, code: `HTTP_${res.status}` }
      ) as ContractErrorBody;
      throw new SidecarError(res.status, body);
    }
    init.onStatus?.(res.status);
    return parsed as T;
  }

  /**
   * Open a streaming GET (Server-Sent Events) and resolve to its body once the headers are in;
   * an error answer (4xx/5xx) throws `SidecarError` with the contract's body, as `request` does.
   */
  async openStream(
    path: string,
    init: { query?: Record<string, string | number | undefined>; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const target = new URL(this.url + path);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) target.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'text/event-stream', ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(target, { headers, ...(init.signal ? { signal: init.signal } : {}) });
    } catch (err) {
      if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') throw err;
      throw new SidecarUnavailableError(this.url, (err as { cause?: unknown }).cause ?? err);
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      const body = (
        parsed && typeof parsed === 'object' ? parsed : { error: 'http_error', message: text || res.statusText, code: `HTTP_${res.status}` }
      ) as ContractErrorBody;
      throw new SidecarError(res.status, body);
    }
    return res.body;
  }

  health(): Promise<HealthResponse> {
    return this.request<HealthResponse>('GET', '/health', { acceptStatus: [503] });
  }

  status(): Promise<StatusResponse> {
    return this.request<StatusResponse>('GET', '/status');
  }

  refreshToken(): Promise<RefreshResponse> {
    return this.request('POST', '/api/auth/refresh');
  }
}

/** Answers of `/health` and `/status`: inferred from the contract schemas. */
export type { HealthResponse, StatusResponse } from '../contract/observability.js';
