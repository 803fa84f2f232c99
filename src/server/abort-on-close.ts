import type { AppRouterContext } from './app-types.js';

/**
 * An AbortSignal that fires when the client goes away before its answer was written, so a
 * long-poll or a queued request stops holding a slot for nobody.
 */
export function abortOnClose(ctx: AppRouterContext): AbortSignal {
  const controller = new AbortController();
  // 'close' also follows every completed answer; aborting then would only cost a DOMException.
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) controller.abort();
  });
  return controller.signal;
}
