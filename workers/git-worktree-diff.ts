import { worktreeDiff, type WorktreeDiffResult, type WorktreeDiffTask } from '../src/context/worker/git/worktree-diff.js';

/** Worker: status and +N -M of just-edited files from a long-lived `git cat-file --batch`. */
export default async function worktreeDiffTask(task: WorktreeDiffTask): Promise<WorktreeDiffResult> {
  try {
    return await worktreeDiff(task);
  } catch (err) {
    return { ok: false, code: 'CTX_001', message: `worktree diff failed: ${(err as Error).message}` };
  }
}
