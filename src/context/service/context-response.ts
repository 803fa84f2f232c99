import type { ContextResponse } from './context-types.js';
import type { GitSnapshot } from '../git/git-context.js';
import type { Entry } from '../cache/context-entry.js';
import type { ContextState } from './context-state.js';

/**
 * The 200 body for a cached or fresh entry. Project totals, metadata and git facts are read
 * now, not stored in the entry: they change without invalidating it.
 */
export async function assembleResponse(s: ContextState, e: Entry, gitSnap: GitSnapshot | null, hit: boolean, t0: number): Promise<ContextResponse> {
  const totals = s.index.totals();
  const req = e.profile.requirements;
  const meta = await s.metadata.get(s.index.manifests(), totals.by_language, { background: s.watching() });
  const metadata = req.metadata ? meta : { project_type: meta.project_type, project_types: meta.project_types, dependencies: [] };
  let git = req.git_context && gitSnap ? gitSnap.context : null;
  if (git && git.recent_commits.length > req.recent_commits) git = { ...git, recent_commits: git.recent_commits.slice(0, req.recent_commits) };
  const listChars = e.built.files.reduce((n, f) => n + f.length + 3, 0);
  const tokens = Math.ceil(
    (e.built.contentBytes + e.codeMapBytes + listChars + s.jsonSize(git) + s.jsonSize(metadata) + s.jsonSize(e.previous) + s.jsonSize(e.issue)) / 4,
  );
  return {
    issue_id: e.issueId,
    agent_type: e.profile.agentType,
    context: {
      project_structure: {
        root: s.root,
        files: e.built.files,
        directories: e.built.directories,
        total_files: totals.total_files,
        total_size_bytes: totals.total_size_bytes,
        files_truncated: e.built.filesTruncated,
        by_language: totals.by_language,
      },
      relevant_files: e.built.relevantFiles,
      git_context: git,
      previous_agent_outputs: e.previous,
      metadata,
      issue: e.issue,
      code_map: e.codeMap,
      search_index: e.searchIndex,
    },
    truncated: e.built.truncated,
    truncation_strategy: e.strategy,
    total_size_bytes: e.built.contentBytes,
    file_count: e.built.relevantFiles.length,
    token_estimate: tokens,
    generation_ms: Math.round((performance.now() - t0) * 100) / 100,
    timestamp: new Date().toISOString(),
    cache_hit: hit,
  };
}
