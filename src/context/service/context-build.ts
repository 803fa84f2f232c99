import { ContextGenerationError } from '../../errors/index.js';
import type { AgentProfile } from '../ranking/agent-profiles.js';
import type { Strategy } from '../ranking/budget.js';
import type { PreviousAgentOutput } from './context-types.js';
import type { GitSnapshot } from '../git/git-context.js';
import { prepareSignals, queryTerms, type RankSignals } from '../ranking/ranking.js';
import { affects, type Entry } from '../cache/context-entry.js';
import type { IssueRecord } from '../../issues/issue-record.js';
import { CODE_MAP_SHARE } from '../ranking/code-map.js';
import { codeMapFor, issueHits } from './issue-steps.js';
import type { ActiveBuild, ContextState } from './context-state.js';

/** A validated request: the cache key and the limits the build works within. */
export interface BuildParams {
  key: string;
  issueId: string;
  agentType: string;
  maxBytes: number;
  maxFiles: number;
  strategy: Strategy;
  q: string;
  refresh: boolean;
  profile: AgentProfile;
}

/**
 * A cache miss: gather the ranking signals, build in the pool, add the code map, and price
 * the entry. Changes applied meanwhile are collected so `storable` can refuse a stale build.
 */
export async function buildEntry(s: ContextState, params: BuildParams, profile: AgentProfile, issue: IssueRecord | null): Promise<Entry> {
  const active: ActiveBuild = { changes: [] };
  s.activeBuilds.add(active);
  try {
    const previous = profile.requirements.previous_outputs
      ? await previousFor(s, params.issueId).catch((err: unknown) => {
          s.logger.warn({ err }, 'previous agent outputs unavailable');
          return [] as PreviousAgentOutput[];
        })
      : [];
    const issueFiles = new Set<string>();
    for (const o of previous) for (const f of o.files_affected ?? []) if (typeof f === 'string') issueFiles.add(f.replace(/^\.\//, ''));
    // Rank while git refreshes the paths just edited: they count as uncommitted meanwhile.
    const gitSignals = s.git.provisionalSignals();
    const signals: RankSignals = {
      issueFiles: [...issueFiles],
      uncommitted: gitSignals?.uncommitted ?? [],
      recentCommitFiles: gitSignals?.recentCommitFiles ?? [],
      queryTerms: queryTerms(params.q),
      now: Date.now(),
    };
    const search = s.search;
    if (issue && search) signals.issueHits = await issueHits(search, issue, profile.weights, s.logger);
    const searchIndex = search?.status() ?? null;
    const mapReady = searchIndex?.state === 'ready';
    const snapshot = s.index.snapshot;
    if (!snapshot || !s.pool) throw new ContextGenerationError('Project index is not ready');
    const epoch = s.gitEpoch;
    const settled = gitSettled(s);
    const built = await s.pool.build({
      root: s.root,
      realRoot: s.realRoot,
      snapshot,
      overlay: s.index.overlayEntries(),
      profile,
      signals,
      maxBytes: params.maxBytes,
      maxFiles: params.maxFiles,
      strategy: params.strategy,
      structureMaxFiles: s.cfg.structure_max_files,
      maxFileBytes: s.cfg.max_file_bytes,
      rules: s.rules.options,
      codeMapShare: mapReady ? CODE_MAP_SHARE : 0,
    });
    const { map: codeMap, bytes: codeMapBytes } = await codeMapFor(mapReady ? search : null, built.mapCandidates, params.maxBytes - built.contentBytes);
    await settled;
    // Stored only if git confirmed the guess about which edited paths are uncommitted.
    const signalsHeld = gitSignals === null || s.git.provisionalHolds(gitSignals);
    s.logger.debug({ agent_type: params.agentType, timings: built.timings }, 'context built');
    let bytes = built.contentBytes + 512;
    for (const f of built.relevantFiles) bytes += f.path.length + f.reason.length + 160;
    for (const f of built.files) bytes += f.length + 4;
    for (const d of built.directories) bytes += d.length + 4;
    bytes += s.jsonSize(previous) + codeMapBytes + s.jsonSize(issue);
    const entry: Entry = {
      key: params.key,
      issueId: params.issueId,
      bytes,
      profile,
      signals: prepareSignals(signals),
      built,
      included: new Set(built.relevantFiles.map((f) => f.path)),
      listed: new Set(built.files),
      // A code-map file's edit changes its definitions: it counts as read.
      considered: new Set([...built.considered, ...codeMap.files.map((f) => f.path)]),
      previous,
      issue,
      codeMap,
      codeMapBytes,
      searchIndex,
      gitEpoch: epoch,
      strategy: params.strategy,
      maxBytes: params.maxBytes,
    };
    entry.changesSeen = active.changes;
    entry.signalsHeld = signalsHeld;
    return entry;
  } finally {
    s.activeBuilds.delete(active);
  }
}

/** Store a finished build only if nothing that happened while it ran affects it. */
export function storable(s: ContextState, entry: Entry): boolean {
  const seen = entry.changesSeen ?? [];
  delete entry.changesSeen;
  const reason =
    entry.gitEpoch !== s.gitEpoch
      ? 'git epoch changed'
      : entry.signalsHeld === false
        ? 'provisional git signals were wrong'
        : entry.issue !== null && entry.searchIndex?.state === 'building' && s.search?.status().state === 'ready'
          ? 'ranked on a search index that has since been completed'
          : seen.some((c) => affects(entry, c, s.scorerFor(entry.profile)))
            ? 'a file it depends on changed while it was built'
            : null;
  if (reason) s.logger.debug({ key: entry.key, reason }, 'context not cached');
  return reason === null;
}

/** Git facts with every edited path refreshed (null outside a work tree or when git fails). */
export async function gitSettled(s: ContextState): Promise<GitSnapshot | null> {
  try {
    return await s.git.settle();
  } catch (err) {
    s.logger.warn({ err }, 'git context unavailable');
    return null;
  }
}

/** The issue's previous agent outputs, fetched once per issue until a new result drops them. */
function previousFor(s: ContextState, issueId: string): Promise<PreviousAgentOutput[]> {
  let p = s.previous.get(issueId);
  if (!p) {
    const fetch = s.deps.previousOutputs;
    p = fetch ? fetch(s.projectId, issueId).then((v) => (Array.isArray(v) ? v : [])) : Promise.resolve([]);
    p.catch(() => s.previous.delete(issueId));
    s.previous.set(issueId, p);
  }
  return p;
}
