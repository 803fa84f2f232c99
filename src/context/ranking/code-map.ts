import type { Definition } from '../worker/search/definitions.js';
import { redactSecrets } from './redact.js';

/**
 * `context.code_map` (spec §6): the definitions of the next most relevant files that did not
 * arrive whole, so an agent sees the shape of the code around its files.
 *
 * Budget: the code map gets at least CODE_MAP_SHARE of `max_bytes` (kept free of file contents
 * when the search index can fill it) plus whatever the contents left unused; its bytes are its
 * JSON size, counted in `token_estimate`.
 */

export const CODE_MAP_SHARE = 0.1;

export interface CodeMapSymbol {
  name: string;
  kind: string;
  line: number;
  signature: string;
}

export interface CodeMap {
  files: Array<{ path: string; symbols: CodeMapSymbol[] }>;
  /** Some definitions of the candidate files did not fit (or the index was not ready). */
  truncated: boolean;
}

/**
 * Pack definitions of `candidates` (best first) into `budget` bytes of JSON.
 *
 * @example packCodeMap(['a.py'], { 'a.py': defs }, 4096).map.files[0].symbols
 */
export function packCodeMap(candidates: readonly string[], defs: Readonly<Record<string, Definition[]>>, budget: number): { map: CodeMap; bytes: number } {
  const files: CodeMap['files'] = [];
  let bytes = JSON.stringify({ files: [], truncated: false }).length;
  let truncated = false;
  for (const path of candidates) {
    const list = defs[path];
    if (!list || list.length === 0) continue;
    const head = JSON.stringify({ path, symbols: [] }).length + 1;
    if (bytes + head > budget) {
      truncated = true;
      break;
    }
    const symbols: CodeMapSymbol[] = [];
    let used = head;
    for (const d of list) {
      // Signatures come from redacted text already; redacting again costs little and keeps
      // this module safe on its own.
      const s: CodeMapSymbol = { name: d.name, kind: d.kind, line: d.line, signature: redactSecrets(d.signature).text };
      const size = JSON.stringify(s).length + 1;
      if (bytes + used + size > budget) {
        truncated = true;
        break;
      }
      symbols.push(s);
      used += size;
    }
    if (symbols.length === 0) break;
    files.push({ path, symbols });
    bytes += used;
    if (truncated) break;
  }
  return { map: { files, truncated }, bytes };
}
