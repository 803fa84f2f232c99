import { collectGitFacts, type GitFactsTask } from '../src/context/worker/git/git-facts.js';
import type { GitFactsResult } from '../src/context/pool/worker-protocol.js';

/** Worker: git status / numstat / log / remote for the git context (the main thread never spawns git). */
export default async function gitFactsTask(task: GitFactsTask): Promise<GitFactsResult> {
  try {
    return { ok: true, ...(await collectGitFacts(task)) };
  } catch (err) {
    return { ok: false, code: 'CTX_001', message: `git failed: ${(err as Error).message}` };
  }
}
