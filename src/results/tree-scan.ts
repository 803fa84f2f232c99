import { readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { isSafeId } from '../util/ids.js';
import { storedEnvelopeSchema, type StoredEnvelope } from './envelope-schema.js';
import { RESULT_ID_PATTERN } from './result-id.js';
import { readRegularFileSync } from '../storage/secure-tree.js';

/** Directory under `<storage>/results` that receives files the scan could not trust. */
export const QUARANTINE_DIR = '.quarantine';
export const HISTORY_DIR = 'history';

/** A valid result file found by the scan. */
export interface FoundResult {
  envelope: StoredEnvelope;
  file: string;
  size: number;
  /** True for `<issue>/<agent_type>.json`, false for a history file. */
  latest: boolean;
}

export interface ScanReport {
  results: FoundResult[];
  /** Entries that do not belong in the tree or do not hold a valid envelope. */
  suspicious: Array<{ file: string; reason: string }>;
  /** Temp files of writes that never completed (never acknowledged, safe to delete). */
  temps: string[];
}

interface Candidate {
  file: string;
  latest: boolean;
  project_id: string;
  issue_id: string;
  agent_type: string;
  /** Expected id for a history file (its name). */
  id?: string;
}

function isTemp(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

function list(dir: string, report: ScanReport): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') report.suspicious.push({ file: dir, reason: `unreadable directory (${code ?? 'error'})` });
    return [];
  }
}

/**
 * Walk `<root>/<project>/<issue>/{<type>.json, history/<type>/<id>.json}` without following
 * links (Dirent types come from the entry itself) and check every file: JSON, envelope schema,
 * and that its ids match where it lies (a file copied to the wrong place is not trusted).
 * Read-only: the caller decides what to do with the findings. Uses synchronous fs (it runs at
 * start-up, before anything is served), yielding to the event loop every 1,000 files.
 */
export async function scanResultTree(root: string): Promise<ScanReport> {
  const report: ScanReport = { results: [], suspicious: [], temps: [] };
  const candidates: Candidate[] = [];
  const odd = (file: string, reason: string): void => {
    report.suspicious.push({ file, reason });
  };

  for (const p of list(root, report)) {
    if (p.name === QUARANTINE_DIR) continue;
    const pDir = path.join(root, p.name);
    if (!p.isDirectory() || !isSafeId(p.name)) {
      odd(pDir, 'not a project directory');
      continue;
    }
    for (const i of list(pDir, report)) {
      const iDir = path.join(pDir, i.name);
      if (!i.isDirectory() || !isSafeId(i.name)) {
        odd(iDir, 'not an issue directory');
        continue;
      }
      for (const f of list(iDir, report)) {
        const file = path.join(iDir, f.name);
        if (f.name === HISTORY_DIR && f.isDirectory()) {
          for (const t of list(file, report)) {
            const tDir = path.join(file, t.name);
            if (!t.isDirectory() || !isSafeId(t.name)) {
              odd(tDir, 'not a history directory');
              continue;
            }
            for (const h of list(tDir, report)) {
              const hFile = path.join(tDir, h.name);
              const id = h.name.slice(0, -'.json'.length);
              if (isTemp(h.name) && h.isFile()) report.temps.push(hFile);
              else if (h.isFile() && h.name.endsWith('.json') && RESULT_ID_PATTERN.test(id)) {
                candidates.push({ file: hFile, latest: false, project_id: p.name, issue_id: i.name, agent_type: t.name, id });
              } else odd(hFile, 'not a result file');
            }
          }
          continue;
        }
        const type = f.name.endsWith('.json') ? f.name.slice(0, -'.json'.length) : '';
        if (isTemp(f.name) && f.isFile()) report.temps.push(file);
        else if (f.isFile() && isSafeId(type)) {
          candidates.push({ file, latest: true, project_id: p.name, issue_id: i.name, agent_type: type });
        } else odd(file, f.isSymbolicLink() ? 'symbolic link' : 'not a result file');
      }
    }
  }

  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as Candidate;
    const found = check(c);
    if ('reason' in found) {
      if (found.reason !== 'vanished') odd(c.file, found.reason);
    } else report.results.push(found);
    // Let timers and I/O callbacks run now and then during a long scan.
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  return report;
}

function check(c: Candidate): FoundResult | { reason: string } {
  let text: string;
  let size: number;
  try {
    ({ text, size } = readRegularFileSync(c.file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { reason: 'vanished' };
    if (code === 'ELOOP') return { reason: 'symbolic link' };
    return { reason: code ? `unreadable (${code})` : 'not a regular file' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { reason: size === 0 ? 'empty file' : 'unparseable JSON (torn or garbage)' };
  }
  const parsed = storedEnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { reason: `not a result envelope (${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid'})` };
  }
  const e = parsed.data;
  if (e.project_id !== c.project_id || e.issue_id !== c.issue_id || e.agent_type !== c.agent_type || (c.id !== undefined && e.id !== c.id)) {
    return { reason: 'envelope does not match its location' };
  }
  return { envelope: e, file: c.file, size, latest: c.latest };
}
