import type { IssueRecord } from '../../issues/issue-record.js';
import type { SearchFeeder } from '../index/search-feeder.js';
import type { ComponentLogger as Logger } from '../../logging/component-logger.js';
import { packCodeMap, type CodeMap } from '../ranking/code-map.js';
import { issueQuery, isEmptyQuery } from '../ranking/issue-query.js';
import { issueHitSignals } from '../ranking/issue-signals.js';
import type { Weights } from './context-config.js';

/**
 * The two steps a context build takes through the search thread: before the build pool ranks,
 * the issue's hits (as ranking points with reasons); after it, the code map of the files that did
 * not arrive whole. A failing search thread degrades the context, never fails it.
 */

/** Search hits of an issue passed to ranking. */
const ISSUE_HITS = 300;

/** The issue's matches in the code search index as `[path, points, reason]`, or undefined. */
export async function issueHits(
  search: SearchFeeder,
  issue: IssueRecord,
  weights: Weights,
  logger: Logger,
): Promise<Array<[string, number, string]> | undefined> {
  const { query, called } = issueQuery(issue);
  if (isEmptyQuery(query)) return undefined;
  const found = await search.search(query, ISSUE_HITS).catch((err: unknown) => {
    logger.warn({ err }, 'code search failed: context ranked without it');
    return null;
  });
  return found ? issueHitSignals(found.hits, weights, called) : undefined;
}

/** The code map within `budget` bytes (empty and `truncated` while the index is not ready: null). */
export async function codeMapFor(search: SearchFeeder | null, candidates: string[], budget: number): Promise<{ map: CodeMap; bytes: number }> {
  const empty = { map: { files: [], truncated: candidates.length > 0 }, bytes: 0 };
  if (!search || candidates.length === 0) return empty;
  const defs = await search.definitions(candidates).catch(() => null);
  return defs ? packCodeMap(candidates, defs, budget) : empty;
}
