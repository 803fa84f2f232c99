import type { AgentProfile } from './agent-profiles.js';
import { Kind, manifestLanguages } from '../files/file-kinds.js';
import { compileGlobs } from '../files/glob-pattern.js';
import { isProgrammingLanguage, languageId, LANGUAGE_NAMES } from '../files/languages.js';

/**
 * Relevance = static part (what the file is, for this profile) + dynamic part (issue signals,
 * query hints, recency). The static part is memoised per (index snapshot, profile) in workers;
 * the dynamic part is cheap. The same functions run on the main thread for single paths when
 * deciding whether a watcher event can change a cached selection, so both sides agree.
 */

/** Issue signals, serializable (sent to workers). */
export interface RankSignals {
  /** Files named in earlier results of this issue. */
  issueFiles: string[];
  /** Uncommitted changes: path → status word. */
  uncommitted: Array<[string, string]>;
  /** Files changed by the recent commits. */
  recentCommitFiles: string[];
  /** Lower-cased query terms from `q`. */
  queryTerms: string[];
  /** Reference time for recency (ms since epoch). */
  now: number;
  /** Matches of the issue in the code search index: `[path, points, reason]` (points already weighted). */
  issueHits?: Array<[string, number, string]>;
}

/** Signals in lookup form. */
export interface PreparedSignals {
  issueHits: Map<string, [number, string]>;
  issueFiles: Set<string>;
  uncommitted: Map<string, string>;
  recentCommitFiles: Set<string>;
  queryTerms: string[];
  now: number;
}

export function prepareSignals(s: RankSignals): PreparedSignals {
  return {
    issueHits: new Map((s.issueHits ?? []).map(([p, points, reason]) => [p, [points, reason]])),
    issueFiles: new Set(s.issueFiles),
    uncommitted: new Map(s.uncommitted),
    recentCommitFiles: new Set(s.recentCommitFiles),
    queryTerms: s.queryTerms,
    now: s.now,
  };
}

/** Split a `q` hint into lower-cased terms (at most 8, each 2–64 chars). */
/**
 * The key `project_structure.files` is ordered and cut by: only the stable parts of relevance
 * (static score, issue files, query hits), so editing a file never reorders the list. One copy
 * for the build worker (which orders) and the cache (which decides whether a new file could
 * enter a cut list).
 */
export function listRankKey(staticScore: number, inIssue: boolean, queryHits: number, weights: AgentProfile['weights']): number {
  let key = staticScore === -Infinity ? -1e9 : staticScore;
  if (inIssue) key += weights.issue_files;
  if (queryHits > 0) key += weights.query * Math.min(queryHits, 3);
  return key;
}

export function queryTerms(q: string | undefined): string[] {
  if (!q) return [];
  const out: string[] = [];
  for (const t of q.toLowerCase().split(/[^a-z0-9_.\-/]+/)) {
    if (t.length >= 2 && t.length <= 64 && !out.includes(t)) out.push(t);
    if (out.length === 8) break;
  }
  return out;
}

const RECENCY_HALF_LIFE_MS = 2 * 86_400_000;
const RECENCY_RATE = Math.LN2 / RECENCY_HALF_LIFE_MS;

/** A profile compiled for fast scoring. */
export class ProfileScorer {
  readonly profile: AgentProfile;
  private readonly langs: Set<number>;
  private readonly langNames: Set<string>;
  private readonly include: (p: string) => boolean;
  private readonly exclude: (p: string) => boolean;

  constructor(profile: AgentProfile) {
    this.profile = profile;
    this.langNames = new Set(profile.languages);
    this.langs = new Set(profile.languages.map((l) => languageId(l)).filter((id): id is number => id !== undefined));
    this.include = compileGlobs(profile.include);
    this.exclude = compileGlobs(profile.exclude);
  }

  /** Static relevance of one file; -Infinity = never a relevant file for this profile. */
  staticScore(rel: string, kinds: number, langId: number, depth: number): number {
    if (kinds & Kind.BINARY) return -Infinity;
    if (this.exclude(rel)) return -Infinity;
    const w = this.profile.weights;
    let s: number;
    if (kinds & Kind.LOCK) s = w.lock;
    else if (kinds & Kind.GENERATED) s = w.generated;
    else if (kinds & Kind.TEST) s = w.test;
    else {
      s = -1;
      if (kinds & Kind.CI) s = Math.max(s, w.ci);
      if (kinds & Kind.INFRA) s = Math.max(s, w.infra);
      if (kinds & Kind.MANIFEST) s = Math.max(s, w.manifest);
      if (kinds & Kind.CONFIG) s = Math.max(s, w.config);
      if (kinds & Kind.SCRIPT) s = Math.max(s, w.script);
      if (kinds & Kind.DOCS) s = Math.max(s, w.docs);
      if (kinds & Kind.SOURCE) s = Math.max(s, w.source);
      if (s < 0) s = w.other;
    }
    if (s <= 0 && !(kinds & (Kind.LOCK | Kind.GENERATED))) s = 0;
    if (this.langs.size > 0) {
      if (this.langs.has(langId)) s += w.language_match;
      else if (kinds & (Kind.SOURCE | Kind.TEST) && isProgrammingLanguage(langId)) s *= w.language_mismatch;
      else if (kinds & Kind.MANIFEST) {
        const langs = manifestLanguages(rel.slice(rel.lastIndexOf('/') + 1).toLowerCase());
        if (langs && !langs.some((l) => this.langNames.has(l))) s *= w.language_mismatch;
      }
    }
    if (s > 0) {
      if (kinds & Kind.SECURITY) s += w.security_sensitive;
      if (kinds & Kind.ENTRY) s += w.entry_point;
    }
    if (this.include(rel)) s += w.include_match;
    if (s > 0) s = Math.max(0.01, s - depth * w.depth_penalty);
    return s;
  }

  /** Dynamic relevance: issue signals, query hints, recency. */
  dynamicScore(rel: string, lowerRel: string, mtimeMs: number, sig: PreparedSignals): number {
    let hits = 0;
    for (const t of sig.queryTerms) if (lowerRel.includes(t)) hits++;
    return (
      this.dynamicFrom(sig.issueFiles.has(rel), sig.uncommitted.has(rel), sig.recentCommitFiles.has(rel), hits, sig.now - mtimeMs) +
      (sig.issueHits.get(rel)?.[0] ?? 0)
    );
  }

  /** The same sum from precomputed flags (the worker's hot loop uses this per path). */
  dynamicFrom(issueFile: boolean, uncommitted: boolean, recentCommit: boolean, queryHits: number, ageMs: number): number {
    const w = this.profile.weights;
    let s = 0;
    if (issueFile) s += w.issue_files;
    if (uncommitted) s += w.uncommitted;
    if (recentCommit) s += w.recent_commits;
    if (queryHits > 0) s += w.query * Math.min(queryHits, 3);
    if (w.recency > 0 && ageMs < 30 * 86_400_000) s += w.recency * Math.exp(-Math.max(0, ageMs) * RECENCY_RATE);
    return s;
  }

  /**
   * A file is a candidate for `relevant_files` when its static part is finite and the total is
   * positive; a strong signal (issue file, query, uncommitted) lifts even a weak static score.
   */
  total(staticPart: number, dynamicPart: number): number {
    return staticPart === -Infinity ? -Infinity : staticPart + dynamicPart;
  }

  /** Human reason for a selected file: the two strongest contributions. */
  explain(rel: string, kinds: number, langId: number, mtimeMs: number, sig: PreparedSignals): string {
    const w = this.profile.weights;
    const parts: Array<[number, string]> = [];
    const lang = LANGUAGE_NAMES[langId] ?? 'other';
    const hit = sig.issueHits.get(rel);
    // The issue's signals first and whole: they are why an agent on this task gets this file.
    if (hit) parts.push([hit[0] + 1000, hit[1]]);
    if (sig.issueFiles.has(rel)) parts.push([w.issue_files, 'named in an earlier result for this issue']);
    const st = sig.uncommitted.get(rel);
    if (st) parts.push([w.uncommitted, `uncommitted change (${st})`]);
    if (sig.recentCommitFiles.has(rel)) parts.push([w.recent_commits, 'changed in a recent commit']);
    const lower = rel.toLowerCase();
    const hits = sig.queryTerms.filter((t) => lower.includes(t));
    if (hits.length > 0) parts.push([w.query * Math.min(hits.length, 3), `matches query ${hits.map((h) => `'${h}'`).join(', ')}`]);
    if (this.include(rel)) parts.push([w.include_match, `matches ${this.profile.profile} profile pattern`]);
    const langMatch = this.langs.has(langId);
    const kindLabel = kindLabelOf(kinds, lang);
    parts.push([this.staticScore(rel, kinds, langId, 0), langMatch ? `${kindLabel} for ${this.profile.agentType}` : kindLabel]);
    if (kinds & Kind.SECURITY && w.security_sensitive > 0) parts.push([w.security_sensitive, 'security-sensitive path']);
    const age = sig.now - mtimeMs;
    if (age < 3_600_000 && w.recency > 0) parts.push([w.recency, 'modified in the last hour']);
    parts.sort((a, b) => b[0] - a[0]);
    return parts
      .slice(0, 2)
      .map((p) => p[1])
      .join('; ');
  }
}

function kindLabelOf(kinds: number, lang: string): string {
  if (kinds & Kind.TEST) return `${lang} test`;
  if (kinds & Kind.MANIFEST) return 'project manifest';
  if (kinds & Kind.CI) return 'CI configuration';
  if (kinds & Kind.INFRA) return 'infrastructure definition';
  if (kinds & Kind.ENTRY && kinds & Kind.SOURCE) return `${lang} entry point`;
  if (kinds & Kind.SOURCE) return `${lang} source`;
  if (kinds & Kind.DOCS) return 'documentation';
  if (kinds & Kind.CONFIG) return 'configuration';
  if (kinds & Kind.LOCK) return 'lock file';
  return `${lang} file`;
}
