import type { PreviousAgentOutput, ResultEnvelope } from './result-store.js';

const MAX_TEXT = 4_000;
const MAX_FILES = 200;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** A free-form entry as text: strings as is, objects by their usual descriptive keys. */
function asText(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() || null;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    for (const key of ['decision', 'summary', 'description', 'title', 'text', 'message']) {
      const text = asText(o[key]);
      if (text) return text;
    }
  }
  return null;
}

function joined(value: unknown): string | null {
  if (Array.isArray(value)) {
    const parts = value.map(asText).filter((t): t is string => t !== null);
    return parts.length ? clip(parts.join('; ')) : null;
  }
  const text = asText(value);
  return text === null ? null : clip(text);
}

function paths(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value) {
    if (typeof item === 'string') out.push(item);
    else if (item && typeof item === 'object') {
      const p = (item as Record<string, unknown>).path ?? (item as Record<string, unknown>).file;
      if (typeof p === 'string') out.push(p);
    }
  }
  return out;
}

/**
 * What the context engine tells the next agent about a result: the decision (`decision`, else
 * `decisions` joined, else `summary`), the `rationale` (a decision object's own rationale when
 * there is no top-level one), and the files created, modified and deleted (deduplicated).
 * Texts are clipped to 4,000 characters and files to 200 entries so one verbose agent cannot
 * crowd the context budget.
 */
export function summarizeResult(envelope: ResultEnvelope): PreviousAgentOutput {
  const r = envelope.result;
  const decision = joined(r.decision) ?? joined(r.decisions) ?? joined(r.summary);
  let rationale = joined(r.rationale);
  if (rationale === null && Array.isArray(r.decisions)) {
    rationale = joined(r.decisions.map((d) => (d && typeof d === 'object' ? (d as Record<string, unknown>).rationale : undefined)));
  }
  const files = [...new Set([...paths(r.files_created), ...paths(r.files_modified), ...paths(r.files_deleted)])];
  return {
    agent: envelope.agent_id,
    agent_type: envelope.agent_type,
    timestamp: envelope.timestamp,
    status: r.status,
    decision,
    rationale,
    files_affected: files.slice(0, MAX_FILES),
    result_id: envelope.id,
  };
}
