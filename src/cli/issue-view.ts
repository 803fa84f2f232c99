import type { Issue } from '../client/issues-api.js';

/** The human view of one issue, as `issue show` and `issue set` print it. */
export function formatIssue(issue: Issue): string {
  const lines = [`${issue.issue_id}: ${issue.title}`, `revision ${issue.revision} · created ${issue.created_at} · updated ${issue.updated_at}`];
  if (issue.labels.length) lines.push(`labels: ${issue.labels.join(', ')}`);
  if (issue.files.length) lines.push(`files: ${issue.files.join(' ')}`);
  if (issue.description) lines.push('', issue.description);
  if (issue.acceptance) lines.push('', 'Acceptance:', issue.acceptance);
  return lines.join('\n');
}

/** Columns padded to their widest cell; the last column is left as is. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
