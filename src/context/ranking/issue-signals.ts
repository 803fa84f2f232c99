import type { SearchHit } from '../worker/search/search-index.js';
import type { Weights } from '../service/context-config.js';

/**
 * Search hits of the issue as ranking points for one profile, with the reason each file gets:
 * `defines laurent_series() named in the issue; issue words in contents: 'series', 'laurent'`.
 */
export function issueHitSignals(hits: readonly SearchHit[], w: Weights, calledNames: ReadonlySet<string>): Array<[string, number, string]> {
  const out: Array<[string, number, string]> = [];
  for (const h of hits) {
    let points = w.issue_match * h.score;
    const why: string[] = [];
    if (h.named) {
      points += w.issue_files;
      why.push('named in the issue');
    }
    if (h.defines.length > 0) {
      points += w.issue_definition;
      why.push(
        `defines ${h.defines
          .slice(0, 3)
          .map((n) => (calledNames.has(n) ? `${n}()` : n))
          .join(', ')} named in the issue`,
      );
    }
    if (h.references.length > 0) {
      points += (w.issue_reference * Math.min(h.references.length, 3)) / 3;
      if (h.defines.length === 0)
        why.push(
          `uses ${h.references
            .slice(0, 3)
            .map((n) => (calledNames.has(n) ? `${n}()` : n))
            .join(', ')} named in the issue`,
        );
    }
    if (h.score >= 0.05 && h.matched.length > 0) why.push(`issue words in the file: ${h.matched.map((m) => `'${m}'`).join(', ')}`);
    if (points <= 0) continue;
    out.push([h.path, points, why.join('; ')]);
  }
  return out;
}
