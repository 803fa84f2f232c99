import type { ServerResponse } from 'node:http';

/**
 * Aborted when the client goes away before the answer is complete, so a long wait frees its slot
 * at once instead of holding it until its timeout.
 */
export function abortOnClose(ctx: { res: ServerResponse }): AbortSignal {
  const controller = new AbortController();
  // 'close' also follows every completed answer; aborting then would only cost a DOMException.
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) controller.abort();
  });
  return controller.signal;
}
