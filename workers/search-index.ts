import type { SearchWorkerResult, SearchWorkerTask } from '../src/context/pool/search-protocol.js';
import { runSearchTask } from '../src/context/worker/search/search-task.js';

/** Worker: hold the code search index of the project; index slices and files, answer searches. */
export default async function searchIndexTask(task: SearchWorkerTask): Promise<SearchWorkerResult> {
  try {
    return await runSearchTask(task);
  } catch (err) {
    return { ok: false, code: 'CTX_001', message: `Search index task failed: ${(err as Error).message}` };
  }
}
