import type { AgentProfile } from '../ranking/agent-profiles.js';
import type { Strategy } from '../ranking/budget.js';
import type { CodeMap } from '../ranking/code-map.js';
import { listRankKey, type PreparedSignals, type ProfileScorer } from '../ranking/ranking.js';
import { classify } from '../files/file-kinds.js';
import type { AppliedChange } from '../index/project-index.js';
import type { SearchIndexStatus } from '../index/search-feeder.js';
import type { BuildSuccess } from '../pool/worker-protocol.js';
import type { PreviousAgentOutput } from '../service/context-types.js';
import type { IssueRecord } from '../../issues/issue-record.js';

/**
 * One cached context and the rule that decides whether a file change can alter it (so a
 * watcher event drops only the answers it affects).
 */

/** A cached context: what was built, and what it depended on. */
export interface Entry {
  key: string;
  issueId: string;
  bytes: number;
  profile: AgentProfile;
  signals: PreparedSignals;
  built: BuildSuccess;
  included: Set<string>;
  listed: Set<string>;
  considered: Set<string>;
  previous: PreviousAgentOutput[];
  issue: IssueRecord | null;
  codeMap: CodeMap;
  codeMapBytes: number;
  searchIndex: SearchIndexStatus | null;
  gitEpoch: number;
  strategy: Strategy;
  maxBytes: number;
  /** Changes applied while this entry was being built (checked before it is stored). */
  changesSeen?: AppliedChange[];
  /** False when the provisional git signals it was ranked with turned out wrong. */
  signalsHeld?: boolean;
}

/**
 * Can this change alter this cached answer? True when the file is in it (content, or read
 * and rejected), when project_structure.files would change (add/unlink), or when the file
 * would now rank into the selection.
 */
export function affects(e: Entry, c: AppliedChange, scorer: ProfileScorer): boolean {
  const p = c.path;
  if (e.included.has(p) || e.considered.has(p)) return true;
  const { kinds, languageId, depth } = classify(p);
  const st = scorer.staticScore(p, kinds, languageId, depth);
  if (c.kind !== 'change') {
    if (!e.built.filesTruncated) return true;
    if (c.kind === 'unlink') return e.listed.has(p);
    // A new file may match the issue's search terms: its points are not known here.
    if (e.signals.issueHits.size > 0) return true;
    const lower = p.toLowerCase();
    const hits = e.signals.queryTerms.filter((t) => lower.includes(t)).length;
    if (listRankKey(st, e.signals.issueFiles.has(p), hits, e.profile.weights) >= e.built.listCutoff) return true;
  }
  if (st === -Infinity) return false;
  // Ranked by the issue: the edit may change the file's match (its search entry was updated).
  if (e.signals.issueHits.size > 0) return true;
  // An edited file is about to show up as uncommitted: score it as such.
  let total = st + scorer.dynamicScore(p, p.toLowerCase(), c.mtimeMs ?? Date.now(), e.signals);
  if (!e.signals.uncommitted.has(p)) total += e.profile.weights.uncommitted;
  if (total <= 0) return false;
  return e.built.selectionOpen || total >= e.built.selectionCutoff;
}
