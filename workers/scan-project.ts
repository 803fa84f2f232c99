import { randomUUID } from 'node:crypto';
import { Kind } from '../src/context/files/file-kinds.js';
import { listProjectFiles } from '../src/context/worker/scan/list-project-files.js';
import { LANGUAGE_NAMES } from '../src/context/files/languages.js';
import { PathRules } from '../src/context/files/path-rules.js';
import { createWarmableClassifier, diffAgainst, encodeSnapshot } from '../src/context/index/snapshot-codec.js';
import type { ScanResult, ScanTask } from '../src/context/pool/worker-protocol.js';

/**
 * Worker: list, filter and stat every file of the project, and return the index as shared
 * buffers plus the few facts the main thread needs (totals, directories to watch, ignore files,
 * and — for a rescan — what changed since the previous index).
 */
export default async function scanProject(task: ScanTask): Promise<ScanResult> {
  const t0 = performance.now();
  try {
    const rules = new PathRules(task.rules);
    // Classifying 50k paths costs ~100 ms: done for the index file's paths while git status
    // runs, so only the paths status adds are classified afterwards.
    const classifier = createWarmableClassifier();
    const listed = await listProjectFiles({
      root: task.realRoot,
      rules,
      useGit: task.useGit,
      ...(task.gitFacts ? { facts: { realRoot: task.realRoot, ...task.gitFacts } } : {}),
      whileGitRuns: (provisional) => classifier.warm(provisional),
    });
    const gitFacts = listed.gitFacts ? await listed.gitFacts : undefined;
    const snapshot = encodeSnapshot(randomUUID(), listed.entries, classifier.classify);
    const langs = new Uint8Array(snapshot.langs);
    const kinds = new Uint16Array(snapshot.kinds);
    const depths = new Uint8Array(snapshot.depths);
    const manifests: string[] = [];
    const counts = new Array<number>(LANGUAGE_NAMES.length).fill(0);
    let totalBytes = 0;
    for (let i = 0; i < listed.entries.length; i++) {
      counts[langs[i]!]!++;
      totalBytes += listed.entries[i]!.size;
      if (kinds[i]! & Kind.MANIFEST && depths[i]! <= 2) manifests.push(listed.entries[i]!.path);
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
      manifests,
      tree: listed.tree,
      ...(gitFacts ? { gitFacts } : {}),
      timings: { listMs: listed.listMs, statMs: listed.statMs, totalMs: performance.now() - t0 },
      ...(task.previous ? { changes: diffAgainst(task.previous.snapshot, task.previous.overlay, listed.entries) } : {}),
    };
  } catch (err) {
    return { ok: false, code: 'CTX_001', message: `Project scan failed: ${(err as Error).message}` };
  }
}
