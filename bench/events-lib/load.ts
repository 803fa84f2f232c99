import { createRequire } from 'node:module';

/** The part of autocannon's options and result these benchmarks use (it ships no types). */
export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  connections: number;
  duration: number;
}

export interface LoadResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: LoadOptions) => Promise<LoadResult>;

/** Run autocannon in this process; throws if any answer was not 2xx (a benchmark of errors is no benchmark). */
export async function load(opts: LoadOptions): Promise<LoadResult> {
  const result = await autocannon(opts);
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${opts.method ?? 'GET'} ${opts.url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return result;
}
