import v8 from 'node:v8';
import { Kind } from '../../files/file-kinds.js';
import { CONDITIONAL_SECRET_CONTENT_RE, CONDITIONAL_SECRET_RE, PathRules, type PathRulesOptions } from '../../files/path-rules.js';
import { looksBinary, readContainedFileSync } from '../../files/safe-read.js';
import { SnapshotView } from '../../index/snapshot-codec.js';
import type { IndexSuccess, SearchStats, SearchSuccess, SearchWorkerTask } from '../../pool/search-protocol.js';
import { redactSecrets } from '../../ranking/redact.js';
import { textTerms } from '../../ranking/terms.js';
import { extractDefinitions, type Definition } from './definitions.js';
import { SearchIndex } from './search-index.js';

/**
 * The search worker's handler: keeps one SearchIndex per project root for the life of the
 * thread, fills it slice by slice, updates single files, answers searches.
 */

/** Content past this many bytes adds little to a file's terms and a lot to memory. */
const INDEX_TEXT_BYTES = 256 * 1024;
/** Distinct terms kept per file (the most frequent): bounds the index for huge generated files. */
const MAX_TERMS_PER_FILE = 3000;

const indexes = new Map<string, SearchIndex>();
const views = new Map<string, SnapshotView>();
const rulesMemo = new Map<string, PathRules>();

function indexOf(realRoot: string): SearchIndex {
  let idx = indexes.get(realRoot);
  if (!idx) indexes.set(realRoot, (idx = new SearchIndex()));
  return idx;
}

function rulesFor(opts: PathRulesOptions): PathRules {
  const key = JSON.stringify(opts);
  let r = rulesMemo.get(key);
  if (!r) rulesMemo.set(key, (r = new PathRules(opts)));
  return r;
}

/** Index one file from disk; false when it is not indexable (gone, binary, secret, oversize). */
async function indexFile(idx: SearchIndex, realRoot: string, rel: string, rules: PathRules, maxFileBytes: number): Promise<boolean> {
  if (rules.isSecretFile(rel)) return false;
  const r = readContainedFileSync(realRoot, rel, maxFileBytes);
  if (!r.ok || looksBinary(r.data)) return false;
  const raw = r.data.toString('utf8', 0, Math.min(r.data.length, INDEX_TEXT_BYTES));
  if (CONDITIONAL_SECRET_RE.test(rel) && CONDITIONAL_SECRET_CONTENT_RE.test(raw)) return false;
  // Redacted first: a secret-looking value never becomes a term or a signature.
  const text = redactSecrets(raw).text;
  let terms = textTerms(text);
  if (terms.size > MAX_TERMS_PER_FILE) terms = new Map([...terms].sort((a, b) => b[1] - a[1]).slice(0, MAX_TERMS_PER_FILE));
  let defs: Definition[];
  try {
    defs = await extractDefinitions(rel, text);
  } catch {
    defs = [];
  }
  idx.put(rel, terms, defs);
  return true;
}

export async function runSearchTask(task: SearchWorkerTask): Promise<IndexSuccess | SearchSuccess | SearchStats> {
  const t0 = performance.now();
  const idx = indexOf(task.realRoot);
  if (task.op === 'search') {
    const hits = idx.search(task.query, task.limit);
    const definitions: Record<string, Definition[]> = {};
    for (const p of task.definitionsOf ?? []) {
      const d = idx.definitionsOf(p);
      if (d) definitions[p] = d;
    }
    return { ok: true, hits, docs: idx.size, definitions, ms: performance.now() - t0 };
  }
  if (task.op === 'stats') {
    return { ok: true, docs: idx.size, terms: idx.termCount, heapUsedBytes: v8.getHeapStatistics().used_heap_size };
  }
  const rules = rulesFor(task.rules);
  let indexed = 0;
  let skipped = 0;
  let removed = 0;
  if (task.op === 'slice') {
    let view = views.get(task.snapshot.id);
    if (!view) {
      views.clear();
      views.set(task.snapshot.id, (view = new SnapshotView(task.snapshot)));
    }
    const end = Math.min(view.count, task.from + task.count);
    for (let i = task.from; i < end; i++) {
      const rel = view.pathAt(i);
      if (view.kinds[i]! & Kind.BINARY || view.sizes[i]! > task.maxFileBytes) {
        skipped++;
        continue;
      }
      if (await indexFile(idx, task.realRoot, rel, rules, task.maxFileBytes)) indexed++;
      else skipped++;
    }
  } else {
    for (const rel of task.removed) if (idx.remove(rel)) removed++;
    for (const rel of task.paths) {
      if (await indexFile(idx, task.realRoot, rel, rules, task.maxFileBytes)) indexed++;
      else if (idx.remove(rel)) removed++;
    }
  }
  return { ok: true, indexed, skipped, removed, docs: idx.size, ms: performance.now() - t0 };
}
