import { AppError, StorageReadError } from '../../errors/index.js';

/**
 * Redis not answering (down, timed out, reconnecting) becomes the contract's 503 `STR_002`,
 * never a 500; the driver's text stays out of the answer (it may quote the server's address).
 *
 * @example return orUnavailable('Leases', () => GRANT.run(client, keys, args))
 */
export async function orUnavailable<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new StorageReadError(`${what} are unavailable: Redis did not answer; retry shortly`);
  }
}
