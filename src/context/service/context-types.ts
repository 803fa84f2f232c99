import type { Strategy } from '../ranking/budget.js';
import type { GitContext } from '../git/git-context.js';
import type { ProjectMetadata } from '../metadata/metadata.js';
import type { RelevantFile } from '../pool/worker-protocol.js';
import type { IssueRecord } from '../../issues/issue-record.js';
import type { CodeMap } from '../ranking/code-map.js';
import type { SearchIndexStatus } from '../index/search-feeder.js';

/** One item of `context.previous_agent_outputs` (spec §4), supplied by the result store. */
export interface PreviousAgentOutput {
  agent: string;
  agent_type: string;
  timestamp: string;
  status: string;
  decision: string | null;
  rationale: string | null;
  files_affected: string[];
  result_id: string;
}

/** Parameters of `GET /api/context/:issue_id/:agent_type`, already parsed. */
export interface ContextRequest {
  issue_id: string;
  agent_type: string;
  max_bytes?: number;
  max_files?: number;
  strategy?: Strategy;
  q?: string;
  refresh?: boolean;
}

export interface ProjectStructure {
  root: string;
  files: string[];
  directories: string[];
  total_files: number;
  total_size_bytes: number;
  files_truncated: boolean;
  by_language: Record<string, number>;
}

/** The exact 200 body of `GET /api/context/:issue_id/:agent_type`. */
export interface ContextResponse {
  issue_id: string;
  agent_type: string;
  context: {
    project_structure: ProjectStructure;
    relevant_files: RelevantFile[];
    git_context: GitContext | null;
    previous_agent_outputs: PreviousAgentOutput[];
    metadata: ProjectMetadata;
    /** The issue from the registry (spec §6), or null when it is not known. */
    issue: IssueRecord | null;
    /** Definitions of the next most relevant files that did not arrive whole (spec §6). */
    code_map: CodeMap;
    /** How far the code search index was built when this context was ranked (null: none). */
    search_index: SearchIndexStatus | null;
  };
  truncated: boolean;
  truncation_strategy: Strategy;
  total_size_bytes: number;
  file_count: number;
  token_estimate: number;
  generation_ms: number;
  timestamp: string;
  cache_hit: boolean;
}

/** The `files_changed` event published on the bus (debounced). */
export interface FilesChangedEvent {
  event_type: 'files_changed';
  topic: string;
  data: {
    project_id: string;
    paths: string[];
    changes: Array<{ path: string; kind: 'add' | 'change' | 'unlink' }>;
    count: number;
    truncated: boolean;
  };
}

export type { RelevantFile } from '../pool/worker-protocol.js';
export type { GitContext } from '../git/git-context.js';
export type { ProjectMetadata } from '../metadata/metadata.js';
