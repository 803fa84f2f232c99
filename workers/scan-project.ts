import { randomUUID } from 'node:crypto';
import { listProjectFiles } from '../src/context/list-project-files.js';
import { LANGUAGE_NAMES } from '../src/context/languages.js';
import { PathRules } from '../src/context/path-rules.js';
import { encodeSnapshot } from '../src/context/snapshot-codec.js';
import type { ScanResult, ScanTask } from '../src/context/worker-protocol.js';

/**
 * Worker: list, filter and stat every file of the project, and return the index as shared
 * buffers plus the few facts the main thread needs (totals, directories to watch, ignore files).
 */
export default async function scanProject(task: ScanTask): Promise<ScanResult> {
  const t0 = performance.now();
  try {
    const rules = new PathRules(task.rules);
    const listed = await listProjectFiles({ root: task.realRoot, rules, useGit: task.useGit });
    const snapshot = encodeSnapshot(randomUUID(), listed.entries);
    const langs = new Uint8Array(snapshot.langs);
    const counts = new Array<number>(LANGUAGE_NAMES.length).fill(0);
    let totalBytes = 0;
    for (let i = 0; i < listed.entries.length; i++) {
      counts[langs[i]!]!++;
      totalBytes += listed.entries[i]!.size;
    }
    const byLanguage: Record<string, number> = {};
    counts.forEach((n, id) => {
      if (n > 0) byLanguage[LANGUAGE_NAMES[id]!] = n;
    });
    return {
      ok: true,
      mode: listed.mode,
      snapshot,
      totalBytes,
      byLanguage,
      directories: listed.directories,
      ignoreFiles: listed.ignoreFiles,
      timings: { listMs: listed.listMs, statMs: listed.statMs, totalMs: performance.now() - t0 },
    };
  } catch (err) {
    return { ok: false, code: 'CTX_001', message: `Project scan failed: ${(err as Error).message}` };
  }
}
