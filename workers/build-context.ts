import { buildContext } from '../src/context/worker/build/build-context.js';
import type { BuildResult, BuildTask } from '../src/context/pool/worker-protocol.js';

/** Worker: rank, read, redact and truncate the relevant files of one context request. */
export default function buildContextTask(task: BuildTask): BuildResult {
  try {
    return buildContext(task);
  } catch (err) {
    return { ok: false, code: 'CTX_001', message: `Context build failed: ${(err as Error).message}` };
  }
}
